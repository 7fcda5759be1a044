"""The GraphQL Admin API documents the Shopify connector sends, and the page sizes it sends.

Every document is validated in the tests against Shopify's 2025-01 introspection schema, and its
requested cost (the static estimate Shopify checks before running a query) is kept under the
single-query limit of 1,000 points at these page sizes: nested connections multiply, so pages of
products and orders are smaller than the API's 250 and the nested lists that overflow are read
by the follow-up documents below (``PRODUCT_VARIANTS``, ``ORDER_LINE_ITEMS``).

Names kept from 2025-01 that later versions deprecate (still served by 2025-10):
``Customer.email`` and ``Customer.emailMarketingConsent`` (2025-04 adds ``defaultEmailAddress``),
``WebhookSubscriptionInput.callbackUrl`` and ``WebhookSubscription.endpoint`` (2025-10: ``uri``).
"""
from __future__ import annotations

PRODUCTS_PAGE = 100
VARIANTS_FIRST = 6  # variants read with each product; the rest by PRODUCT_VARIANTS
VARIANTS_PAGE = 250
CUSTOMERS_PAGE = 250
ORDERS_PAGE = 15
LINE_ITEMS_FIRST = 10  # line items read with each order; the rest by ORDER_LINE_ITEMS
LINE_ITEMS_PAGE = 100
FULFILLMENTS_FIRST = 5
TRACKING_FIRST = 1
DISCOUNTS_PAGE = 20
DISCOUNT_PRODUCTS_FIRST = 20  # per discount of a page of DISCOUNTS
DISCOUNT_VARIANTS_FIRST = 5
DISCOUNT_COLLECTIONS_FIRST = 10
# one discount read after its webhook (DISCOUNT): room for the lists a promotion is made of
DISCOUNT_ONE_PRODUCTS_FIRST = 100
DISCOUNT_ONE_VARIANTS_FIRST = 50
DISCOUNT_ONE_COLLECTIONS_FIRST = 25
COLLECTION_PRODUCTS_PAGE = 250
WEBHOOKS_PAGE = 100

VARIANT_FIELDS = """
fragment ArrostoVariant on ProductVariant {
  id title sku price compareAtPrice inventoryQuantity
}
"""

PRODUCTS = """
query ArrostoProducts($first: Int!, $after: String, $query: String, $variants: Int!) {
  products(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes {
      id title handle vendor productType tags descriptionHtml status onlineStoreUrl updatedAt
      variants(first: $variants) {
        nodes { ...ArrostoVariant }
        pageInfo { hasNextPage endCursor }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""" + VARIANT_FIELDS

PRODUCT_VARIANTS = """
query ArrostoProductVariants($id: ID!, $first: Int!, $after: String) {
  product(id: $id) {
    variants(first: $first, after: $after) {
      nodes { ...ArrostoVariant }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""" + VARIANT_FIELDS

CUSTOMERS = """
query ArrostoCustomers($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes {
      id email firstName lastName phone updatedAt
      defaultAddress { city zip }
      emailMarketingConsent { marketingState }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

LINE_ITEM_FIELDS = """
fragment ArrostoLineItem on LineItem {
  title quantity sku variantTitle
  originalUnitPriceSet { shopMoney { amount } }
  product { id }
}
"""

ORDERS = """
query ArrostoOrders($first: Int!, $after: String, $query: String, $lines: Int!,
                    $fulfillments: Int!, $tracking: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes {
      id name email createdAt updatedAt cancelledAt cancelReason
      displayFinancialStatus displayFulfillmentStatus currencyCode discountCodes
      customer { id }
      totalPriceSet { shopMoney { amount currencyCode } }
      shippingAddress { name zip city }
      customerJourneySummary { lastVisit { landingPage } }
      lineItems(first: $lines) {
        nodes { ...ArrostoLineItem }
        pageInfo { hasNextPage endCursor }
      }
      fulfillments(first: $fulfillments) {
        id status displayStatus createdAt
        trackingInfo(first: $tracking) { company number url }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""" + LINE_ITEM_FIELDS

ORDER_LINE_ITEMS = """
query ArrostoOrderLineItems($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {
      nodes { ...ArrostoLineItem }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""" + LINE_ITEM_FIELDS

SHOP = """
query ArrostoShop {
  shop { name currencyCode ianaTimezone primaryDomain { host url } }
}
"""

# Every discount type but the app-made ones carries a title, status and dates; only code
# discounts carry codes; only basic and buy-x-get-y ones say what they take off and on what.
DISCOUNT_FIELDS = """
fragment ArrostoCustomerGets on DiscountCustomerGets {
  value {
    __typename
    ... on DiscountPercentage { percentage }
    ... on DiscountAmount { amount { amount currencyCode } }
  }
  items {
    __typename
    ... on AllDiscountItems { allItems }
    ... on DiscountProducts {
      products(first: $products) { nodes { id } }
      productVariants(first: $variants) { nodes { product { id } } }
    }
    ... on DiscountCollections { collections(first: $collections) { nodes { id } } }
  }
}

fragment ArrostoDiscountNode on DiscountNode {
  id
  discount {
    __typename
    ... on DiscountCodeBasic {
      title status startsAt endsAt
      codes(first: 1) { nodes { code } }
      customerGets { ...ArrostoCustomerGets }
    }
    ... on DiscountCodeBxgy {
      title status startsAt endsAt
      codes(first: 1) { nodes { code } }
      customerGets { ...ArrostoCustomerGets }
    }
    ... on DiscountCodeFreeShipping {
      title status startsAt endsAt
      codes(first: 1) { nodes { code } }
    }
    ... on DiscountCodeApp {
      title status startsAt endsAt
      codes(first: 1) { nodes { code } }
    }
    ... on DiscountAutomaticBasic {
      title status startsAt endsAt
      customerGets { ...ArrostoCustomerGets }
    }
    ... on DiscountAutomaticBxgy {
      title status startsAt endsAt
      customerGets { ...ArrostoCustomerGets }
    }
    ... on DiscountAutomaticFreeShipping { title status startsAt endsAt }
    ... on DiscountAutomaticApp { title status startsAt endsAt }
  }
}
"""

DISCOUNTS = """
query ArrostoDiscounts($first: Int!, $after: String, $query: String, $products: Int!,
                       $variants: Int!, $collections: Int!) {
  discountNodes(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes { ...ArrostoDiscountNode }
    pageInfo { hasNextPage endCursor }
  }
}
""" + DISCOUNT_FIELDS

DISCOUNT = """
query ArrostoDiscount($id: ID!, $products: Int!, $variants: Int!, $collections: Int!) {
  discountNode(id: $id) { ...ArrostoDiscountNode }
}
""" + DISCOUNT_FIELDS

# the products of a collection a discount applies to
COLLECTION_PRODUCTS = """
query ArrostoCollectionProducts($id: ID!, $first: Int!, $after: String) {
  collection(id: $id) {
    products(first: $first, after: $after) {
      nodes { id }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query ArrostoWebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    nodes {
      id topic format
      endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation ArrostoWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
                                          $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""

# name -> document, for the tests that validate and price every document
DOCUMENTS: dict[str, str] = {
    "ArrostoProducts": PRODUCTS,
    "ArrostoProductVariants": PRODUCT_VARIANTS,
    "ArrostoCustomers": CUSTOMERS,
    "ArrostoOrders": ORDERS,
    "ArrostoOrderLineItems": ORDER_LINE_ITEMS,
    "ArrostoShop": SHOP,
    "ArrostoDiscounts": DISCOUNTS,
    "ArrostoDiscount": DISCOUNT,
    "ArrostoCollectionProducts": COLLECTION_PRODUCTS,
    "ArrostoWebhookSubscriptions": WEBHOOK_SUBSCRIPTIONS,
    "ArrostoWebhookSubscriptionCreate": WEBHOOK_SUBSCRIPTION_CREATE,
}
