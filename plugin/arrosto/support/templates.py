"""The default reply templates, Italian and English, one per situation and channel.

The shop's best practice, in every one: acknowledge quickly and specifically, give substance
(what we checked, what happens next, a useful tip), offer a concrete alternative rather than a
bare "no", stay calm, and move personal details to a private channel.

``public`` templates are rendered with public facts only (the shop, the product from the catalog,
whether a private message follows, the "is this your order?" link): no variable of theirs can hold
a customer's data, and the never-public check (:mod:`arrosto.outbox.public`) still reads what
they produce, owner edits included. ``private`` templates (direct messages) may use the order.

Owners override any of them from the admin (stored in ``Shop.settings["reply_templates"]`` under
the same key); they are rendered in Jinja's sandbox.
"""
from __future__ import annotations

# situation → what the case is about (see drafts.situation)
SITUATIONS = ("complaint_unlinked", "complaint_not_shipped", "complaint_in_transit",
              "complaint_delivered", "complaint_partial", "complaint_refund",
              "complaint_cancelled", "question_order", "question_product", "question_general")
LANGUAGES = ("it", "en")
CHANNELS = ("public", "private")

# Variables: shop_name, product (title, url, available, price) or None, tip, verify_url, dm (a
# private message follows), contact (the shop's support e-mail) or None, notify_word, answer
# (the shop's FAQ answer that fits the question, or None: then the owner writes it).
# Private adds: first_name, order_name, items, status, tracking (company, number, url) or None,
# days (since the order), cancel_reason, refunded.
DEFAULTS: dict[str, str] = {
    # --- Italian ----------------------------------------------------------------------------------
    "it/complaint_unlinked.public":
        "Ci dispiace{% if product %} per il tuo {{ product.title }}{% endif %}, vogliamo "
        "sistemare subito. "
        "{% if dm %}Ti abbiamo scritto in privato: rispondici lì col numero d'ordine."
        "{% elif verify_url %}Per trovare il tuo ordine senza scrivere dati qui: {{ verify_url }}"
        "{% elif contact %}Scrivici a {{ contact }} con il numero d'ordine e controlliamo subito."
        "{% else %}Scrivici in privato il numero d'ordine e controlliamo subito.{% endif %}",
    "it/complaint_unlinked.private":
        "Ciao, siamo {{ shop_name }}. Ci mandi il numero d'ordine e l'e-mail usata per "
        "l'acquisto? Controlliamo subito e ti diciamo cosa possiamo fare."
        "{% if verify_url %} Oppure inseriscili qui, senza scriverli in chat: {{ verify_url }}"
        "{% endif %}",
    "it/complaint_not_shipped.public":
        "Ci dispiace per l'attesa. Abbiamo controllato: il tuo ordine non è ancora partito. "
        "{% if dm %}Ti scriviamo in privato con i dettagli e un'alternativa.{% else %}"
        "Scrivici in privato e ti proponiamo un'alternativa.{% endif %}",
    "it/complaint_not_shipped.private":
        "Ciao{% if first_name %} {{ first_name }}{% endif %}, il tuo ordine {{ order_name }} "
        "({{ items }}) è in preparazione da {{ days }} giorni: ci scusiamo per il ritardo. "
        "Lo spediamo entro domani con corriere espresso senza costi in più; se preferisci, "
        "lo annulliamo e ti rimborsiamo subito. Dicci tu.",
    "it/complaint_in_transit.public":
        "Ci dispiace per l'attesa! Il tuo pacco è già in viaggio. "
        "{% if dm %}Ti mandiamo in privato il link per seguirlo.{% else %}"
        "Scrivici in privato e ti mandiamo il link per seguirlo.{% endif %}",
    "it/complaint_in_transit.private":
        "Ciao{% if first_name %} {{ first_name }}{% endif %}, il tuo ordine {{ order_name }} è "
        "partito{% if tracking %} con {{ tracking.company or 'il corriere' }}: "
        "{{ tracking.url or tracking.number }}{% endif %}. Se entro due giorni lavorativi non "
        "arriva, scrivici e lo rispediamo noi.",
    "it/complaint_delivered.public":
        "Ci dispiace per il problema{% if product %} con {{ product.title }}{% endif %}: non è "
        "quello che vogliamo farti trovare. Rimediamo con una sostituzione o un rimborso, come "
        "preferisci. {% if dm %}Ti scriviamo in privato.{% else %}Scrivici in privato.{% endif %}",
    "it/complaint_partial.public":
        "Ci dispiace che nel pacco mancasse qualcosa. Spediamo subito quello che manca, senza "
        "costi. {% if dm %}Ti scriviamo in privato per i dettagli.{% else %}Scrivici in privato "
        "per i dettagli.{% endif %}",
    "it/complaint_partial.private":
        "Ciao{% if first_name %} {{ first_name }}{% endif %}, per il tuo ordine {{ order_name }} "
        "({{ items }}) ci dici cosa mancava? Lo rispediamo oggi stesso senza costi; se preferisci, "
        "ti rimborsiamo quella parte.",
    "it/complaint_refund.public":
        "Ci dispiace per il dubbio sul rimborso: è giusto saperlo con certezza. "
        "{% if dm %}Ti scriviamo in privato con lo stato del rimborso.{% else %}Scrivici in "
        "privato e ti diciamo a che punto è.{% endif %}",
    "it/complaint_refund.private":
        "Ciao{% if first_name %} {{ first_name }}{% endif %}, per l'ordine {{ order_name }} "
        "{% if refunded %}il rimborso è già stato emesso da parte nostra: di solito la banca lo "
        "mostra entro 5-10 giorni lavorativi. Se non lo vedi entro allora, scrivici e lo "
        "verifichiamo con il circuito di pagamento.{% else %}il rimborso non risulta ancora "
        "emesso: lo controlliamo subito e ti confermiamo qui oggi stesso.{% endif %}",
    "it/complaint_delivered.private":
        "Ciao{% if first_name %} {{ first_name }}{% endif %}, per il tuo ordine {{ order_name }} "
        "({{ items }}) possiamo spedirti subito un sostituto o rimborsarti: dicci cosa preferisci. "
        "Se il prodotto è danneggiato, una foto ci aiuta a segnalarlo al corriere.",
    "it/complaint_cancelled.public":
        "Ci dispiace per il disguido. Abbiamo controllato l'ordine: "
        "{% if dm %}ti scriviamo in privato cosa è successo e come rimediare.{% else %}"
        "scrivici in privato e ti spieghiamo cosa è successo e come rimediare.{% endif %}",
    "it/complaint_cancelled.private":
        "Ciao{% if first_name %} {{ first_name }}{% endif %}, il tuo ordine {{ order_name }} è "
        "stato annullato{% if cancel_reason %} ({{ cancel_reason }}){% endif %}. "
        "{% if refunded %}Il rimborso è già partito. {% endif %}Se vuoi ancora i prodotti, "
        "te li rispediamo noi senza costi di spedizione.",
    "it/question_order.public":
        "Grazie per averci scritto! "
        "{% if dm %}Ti rispondiamo in privato con lo stato del tuo ordine.{% else %}Scrivici in "
        "privato il numero d'ordine e ti diciamo subito a che punto è.{% endif %}",
    "it/question_order.private":
        "Ciao{% if first_name %} {{ first_name }}{% endif %}, il tuo ordine {{ order_name }} "
        "è {{ status }}{% if tracking %}: {{ tracking.url or tracking.number }}{% endif %}.",
    "it/question_product.public":
        "Grazie della domanda! {% if product %}{{ product.title }} "
        "{% if product.available %}è disponibile{% if product.price %} a {{ product.price }}"
        "{% endif %}{% else %}al momento è esaurito{% endif %}"
        "{% if product.url %}: {{ product.url }}{% endif %}. {% endif %}"
        "{% if tip %}{{ tip }} {% endif %}"
        "Rispondi «{{ notify_word }}» e ti avvisiamo alla prossima offerta o quando torna.",
    "it/question_general.public":
        "Grazie della domanda! {% if answer %}{{ answer }}{% else %}{% if contact %}Scrivici a "
        "{{ contact }} o in privato{% else %}Scrivici in privato{% endif %} e ti rispondiamo "
        "oggi stesso.{% endif %}",
    # --- English ----------------------------------------------------------------------------------
    "en/complaint_unlinked.public":
        "Sorry about this{% if product %} with your {{ product.title }}{% endif %}, we want to "
        "put it right. "
        "{% if dm %}We've written to you privately: reply there with your order number."
        "{% elif verify_url %}To find your order without posting any details here: {{ verify_url }}"
        "{% elif contact %}Write to {{ contact }} with your order number and we'll check right "
        "away.{% else %}Send us your order number privately and we'll check right away."
        "{% endif %}",
    "en/complaint_unlinked.private":
        "Hi, this is {{ shop_name }}. Could you send us your order number and the e-mail you "
        "ordered with? We'll check right away and tell you what we can do."
        "{% if verify_url %} Or enter them here, without writing them in a message: "
        "{{ verify_url }}{% endif %}",
    "en/complaint_not_shipped.public":
        "Sorry for the wait. We checked: your order hasn't left us yet. "
        "{% if dm %}We're sending you the details and an alternative privately.{% else %}"
        "Send us a private message and we'll offer you an alternative.{% endif %}",
    "en/complaint_not_shipped.private":
        "Hi{% if first_name %} {{ first_name }}{% endif %}, your order {{ order_name }} "
        "({{ items }}) has been waiting {{ days }} days, and we're sorry for the delay. We'll ship "
        "it by tomorrow by express courier at no extra cost; or, if you prefer, we cancel it and "
        "refund you at once. Your call.",
    "en/complaint_in_transit.public":
        "Sorry for the wait! Your parcel is already on its way. "
        "{% if dm %}We're sending you the tracking link privately.{% else %}"
        "Send us a private message and we'll send you the tracking link.{% endif %}",
    "en/complaint_in_transit.private":
        "Hi{% if first_name %} {{ first_name }}{% endif %}, your order {{ order_name }} has "
        "shipped{% if tracking %} with {{ tracking.company or 'the courier' }}: "
        "{{ tracking.url or tracking.number }}{% endif %}. If it hasn't arrived within two "
        "working days, tell us and we'll send it again.",
    "en/complaint_delivered.public":
        "Sorry about the problem{% if product %} with your {{ product.title }}{% endif %}: "
        "that's not what we want you to find. We'll make it right with a replacement or a "
        "refund, as you prefer. {% if dm %}We're writing to you privately.{% else %}Send us a "
        "private message.{% endif %}",
    "en/complaint_partial.public":
        "Sorry something was missing from your parcel. We'll send what's missing right away, "
        "at no cost. {% if dm %}We're writing to you privately for the details.{% else %}Send "
        "us a private message with the details.{% endif %}",
    "en/complaint_partial.private":
        "Hi{% if first_name %} {{ first_name }}{% endif %}, for your order {{ order_name }} "
        "({{ items }}), could you tell us what was missing? We'll ship it today at no cost; or, "
        "if you prefer, refund that part.",
    "en/complaint_refund.public":
        "Sorry for the uncertainty about your refund: you should know for sure. "
        "{% if dm %}We're writing to you privately with its status.{% else %}Send us a private "
        "message and we'll tell you where it is.{% endif %}",
    "en/complaint_refund.private":
        "Hi{% if first_name %} {{ first_name }}{% endif %}, for order {{ order_name }} "
        "{% if refunded %}we have already issued the refund: banks usually show it within 5-10 "
        "working days. If you don't see it by then, tell us and we'll trace it with the payment "
        "network.{% else %}the refund hasn't been issued yet: we're checking now and will "
        "confirm here today.{% endif %}",
    "en/complaint_delivered.private":
        "Hi{% if first_name %} {{ first_name }}{% endif %}, for your order {{ order_name }} "
        "({{ items }}) we can send a replacement right away or refund you: tell us which you "
        "prefer. If it arrived damaged, a photo helps us report it to the courier.",
    "en/complaint_cancelled.public":
        "Sorry for the trouble. We checked the order: "
        "{% if dm %}we're writing to you privately with what happened and how we'll fix it."
        "{% else %}send us a private message and we'll explain what happened and how we'll fix "
        "it.{% endif %}",
    "en/complaint_cancelled.private":
        "Hi{% if first_name %} {{ first_name }}{% endif %}, your order {{ order_name }} was "
        "cancelled{% if cancel_reason %} ({{ cancel_reason }}){% endif %}. "
        "{% if refunded %}Your refund is already on its way. {% endif %}If you still want the "
        "products, we'll send them again with free shipping.",
    "en/question_order.public":
        "Thanks for asking! "
        "{% if dm %}We're replying privately with your order's status.{% else %}Send us your "
        "order number privately and we'll tell you where it is.{% endif %}",
    "en/question_order.private":
        "Hi{% if first_name %} {{ first_name }}{% endif %}, your order {{ order_name }} is "
        "{{ status }}{% if tracking %}: {{ tracking.url or tracking.number }}{% endif %}.",
    "en/question_product.public":
        "Thanks for asking! {% if product %}{{ product.title }} "
        "{% if product.available %}is in stock{% if product.price %} at {{ product.price }}"
        "{% endif %}{% else %}is sold out right now{% endif %}"
        "{% if product.url %}: {{ product.url }}{% endif %}. {% endif %}"
        "{% if tip %}{{ tip }} {% endif %}"
        "Reply \"{{ notify_word }}\" and we'll tell you about its next sale or restock.",
    "en/question_general.public":
        "Thanks for asking! {% if answer %}{{ answer }}{% else %}{% if contact %}Write to "
        "{{ contact }} or send us a private message{% else %}Send us a private message"
        "{% endif %} and we'll answer today.{% endif %}",
}

# order status as the private templates say it
STATUS_WORDS = {
    "it": {"not_shipped": "in preparazione", "in_transit": "in viaggio",
           "delivered": "consegnato", "cancelled": "annullato"},
    "en": {"not_shipped": "being prepared", "in_transit": "on its way",
           "delivered": "delivered", "cancelled": "cancelled"},
}


def template_key(lang: str, situation: str, channel: str) -> str:
    return f"{lang}/{situation}.{channel}"
