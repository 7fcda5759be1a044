// Arrosto's admin: a little JavaScript on server-rendered pages.
//
// Inside the Shopify admin (body[data-embedded]) every request must carry a fresh App Bridge
// session token, because the iframe gets no cookies: links and GET forms get it as `id_token`
// in the query, POST forms as a hidden `id_token` field, htmx requests as
// `Authorization: Bearer`. Outside Shopify this file does nothing but wire htmx's CSRF header.
(function () {
  "use strict";
  var embedded = document.body && document.body.hasAttribute("data-embedded");

  function freshToken() {
    return window.shopify && window.shopify.idToken ? window.shopify.idToken()
      : Promise.reject(new Error("App Bridge is not loaded"));
  }

  function sameOrigin(url) {
    return url.origin === window.location.origin;
  }

  if (embedded) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey ||
          event.ctrlKey || link.target === "_blank" || link.hasAttribute("download")) { return; }
      var url = new URL(link.href, window.location.href);
      if (!sameOrigin(url) || url.hash && url.pathname === window.location.pathname) { return; }
      event.preventDefault();
      freshToken().then(function (token) {
        url.searchParams.set("id_token", token);
        url.searchParams.set("embedded", "1");
        window.location.assign(url.toString());
      });
    });

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get") ||
          form.dataset.tokenAdded) { return; }
      var action = new URL(form.action || window.location.href, window.location.href);
      if (!sameOrigin(action)) { return; }
      event.preventDefault();
      freshToken().then(function (token) {
        var field = form.querySelector("input[name=id_token]");
        if (!field) {
          field = document.createElement("input");
          field.type = "hidden";
          field.name = "id_token";
          form.appendChild(field);
        }
        field.value = token;  // a POST carries it in its body, a GET in the query it builds
        form.dataset.tokenAdded = "1";
        form.requestSubmit ? form.requestSubmit(event.submitter || undefined) : form.submit();
        delete form.dataset.tokenAdded;
      });
    });
  }

  // htmx: the CSRF token on every request it makes; inside Shopify, a fresh session token too
  var token = null;
  document.addEventListener("htmx:confirm", function (event) {
    if (!embedded) { return; }
    event.preventDefault();
    freshToken().then(function (fresh) {
      token = fresh;
      event.detail.issueRequest();
    });
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
    if (embedded && token) { event.detail.headers["Authorization"] = "Bearer " + token; }
  });
})();
