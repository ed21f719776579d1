#!/usr/bin/env bash
# From sign-up to a paid plan, with curl: register → verify the email → sign in →
# create a scoped API key → call a scoped endpoint → hit a quota → subscribe through
# Stripe Checkout → Stripe's webhook upgrades the plan → the quota rises.
#
# Against a local server (`siex api`, mail to the outbox file):
#     BASE=http://127.0.0.1:8000 SIEX_HOME=.siex bash docs/api-walkthrough.sh
# The payment step needs Stripe. With Stripe's test mode: open the printed Checkout
# URL, pay with card 4242 4242 4242 4242, and let `stripe listen --forward-to
# $BASE/v1/billing/webhook` deliver the events. Offline, STRIPE_DOUBLE=<url> names
# the local Stripe double of the tests (tests/stripe_server.py), which "pays" the
# session and sends the same signed events Stripe would.
# tests/test_walkthrough.py runs this script against a real uvicorn server.
set -euo pipefail

BASE=${BASE:-http://127.0.0.1:8000}
OUTBOX=${SIEX_HOME:-.siex}/outbox.jsonl
EMAIL=${EMAIL:-walker-$RANDOM$RANDOM@example.com}
PASSWORD=${PASSWORD:-correct horse battery staple}

# field <python subscript>: read one field of the JSON on stdin, e.g. field "['id']"
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
call() {  # call METHOD PATH [curl args…]: prints the response body
  curl -sS -X "$1" "$BASE$2" -H 'Content-Type: application/json' "${@:3}"
}
status() {  # status METHOD PATH [curl args…]: prints only the HTTP status
  curl -sS -o /dev/null -w '%{http_code}' -X "$1" "$BASE$2" -H 'Content-Type: application/json' "${@:3}"
}
step() { printf '\n== %s\n' "$*" >&2; }

step "1. register $EMAIL"
call POST /v1/auth/register -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" >&2

step "2. verify the email with the token of the mail (here: the outbox file)"
TOKEN=$(grep -F "\"to\": \"$EMAIL\"" "$OUTBOX" | grep -F '"kind": "verify"' | tail -n1 \
        | field "['body']" | sed -n 's/^token: //p')
call POST /v1/auth/verify -d "{\"token\": \"$TOKEN\"}" | field "['email_verified']" >&2

step "3. sign in: an access token (15 min) and a refresh token"
ACCESS=$(call POST /v1/auth/login -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" \
         | field "['access_token']")
USER=(-H "Authorization: Bearer $ACCESS")

step "4. an API key for a script: read, write and extract only"
KEY=$(call POST /v1/api-keys "${USER[@]}" \
      -d '{"name": "walkthrough", "scopes": ["read", "write", "extract"]}' | field "['api_key']")
echo "${KEY:0:16}… (shown once)" >&2
APP=(-H "Authorization: Bearer $KEY")

step "5. a scoped call: extract keywords (scope extract)"
call POST /v1/extract "${APP[@]}" \
     -d '{"text": "Drip irrigation saves water. A drip irrigation kit pays for itself.", "top_k": 3}' >&2
echo >&2
echo "billing with this key (no billing scope): HTTP $(status POST /v1/billing/checkout "${APP[@]}" -d '{"plan": "creator"}')" >&2

step "6. hit a quota: the free plan watches 5 sources"
LIMIT=$(call GET /v1/usage "${APP[@]}" | python3 -c \
        "import json, sys; print(next(q['limit'] for q in json.load(sys.stdin)['quotas'] if q['resource'] == 'sources'))")
for i in $(seq 1 "$LIMIT"); do
  [ "$(status POST /v1/sources "${APP[@]}" -d "{\"kind\": \"rss\", \"url\": \"https://site$i.example/feed\"}")" = 201 ]
done
OVER=$(status POST /v1/sources "${APP[@]}" -d '{"kind": "rss", "url": "https://one-more.example/feed"}')
echo "source $((LIMIT + 1)): HTTP $OVER" >&2
call POST /v1/sources "${APP[@]}" -d '{"kind": "rss", "url": "https://one-more.example/feed"}' >&2
echo >&2
[ "$OVER" = 402 ]

step "7. subscribe to the creator plan through Stripe Checkout (owner, verified email)"
CHECKOUT=$(call POST /v1/billing/checkout "${USER[@]}" -d '{"plan": "creator"}')
SESSION=$(field "['id']" <<<"$CHECKOUT")
echo "pay at: $(field "['url']" <<<"$CHECKOUT")" >&2
if [ -n "${STRIPE_DOUBLE:-}" ]; then
  # What the customer and Stripe do: pay, then Stripe POSTs signed events to the webhook.
  curl -sS -X POST "$STRIPE_DOUBLE/test_helpers/checkout/sessions/$SESSION/complete" >&2
  echo >&2
else
  read -r -p "pay in the browser, then press Enter once the webhook has been delivered " _
fi

step "8. the webhook upgraded the plan"
call GET /v1/tenants/me "${APP[@]}" | field "['plan']" >&2
[ "$(call GET /v1/tenants/me "${APP[@]}" | field "['plan']")" = creator ]

step "9. the quota rose: the source refused before is accepted now"
[ "$(status POST /v1/sources "${APP[@]}" -d '{"kind": "rss", "url": "https://one-more.example/feed"}')" = 201 ]
call GET /v1/usage "${APP[@]}" | python3 -c \
  "import json, sys; u = json.load(sys.stdin); print(u['plan'], [(q['resource'], q['used'], q['limit']) for q in u['quotas']])" >&2
echo "walkthrough complete" >&2
