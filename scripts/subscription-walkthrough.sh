#!/usr/bin/env bash
# npm run walkthrough:subscriptions — against a running `npm start`: subscribe to the demo's weekly Fan
# tier with 4242…, advance the sandbox billing clock past three renewals and one failed payment, and
# print, after each step, the subscription, the member's tier and what a freshly minted token says.
# Then a card that never recovers: grace, dunning, unpaid, and the old token refused.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BASE_URL:-http://127.0.0.1:8787}
KEY=${DEMO_API_KEY:-$(cat .wrangler/demo-api-key)}
# One field of the JSON on stdin (a dotted path), or a few fields as a compact object.
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v?.[k];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }
pick() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(JSON.stringify(Object.fromEntries(process.argv.slice(1).map(k=>[k,o[k]]))))})' "$@"; }
post() { curl -sf -X "$1" "$B$2" -H 'content-type: application/json' "${@:4}" -d "$3"; }
admin=(-H "authorization: Bearer $KEY")

buyer="walkthrough-$RANDOM$RANDOM"
email="$buyer@example.com"
echo "1. Quote and buy the weekly Fan tier (\$3 a week) with 4242 4242 4242 4242"
quote=$(post POST /v1/quotes '{"offer_id":"off_demo_fan"}' -H "buyer-id: $buyer" | field token)
paid=$(post POST /v1/checkouts "{\"quote\":\"$quote\",\"email\":\"$email\",\"payment_method\":\"4242 4242 4242 4242\"}" \
  -H "buyer-id: $buyer" -H "idempotency-key: $buyer-checkout")
member=$(echo "$paid" | field member_id)
echo "   checkout $(echo "$paid" | field status), member $member"
token=$(post POST "/v1/members/$member/sessions" '{}' "${admin[@]}" | field token)
sub=$(curl -sf "$B/v1/me/subscriptions" -H "authorization: Bearer $token" | field data.0.id)

show() {
  echo "   subscription: $(curl -sf "$B/v1/subscriptions/$sub" "${admin[@]}" |
    pick status current_period_end access_ends_at dunning)"
  echo "   member tier:  $(curl -sf "$B/v1/members/$member" "${admin[@]}" | field tier_offer_id)"
  echo "   new token:    $(post POST "/v1/members/$member/sessions" '{}' "${admin[@]}" | pick entitlements expires_at)"
}
advance() { echo "   clock +$1: $(post POST /v1/dev/clock "{\"by\":\"$1\"}" "${admin[@]}" | pick renewed failed recovered)"; }
card() { post PATCH "/v1/me/subscriptions/$sub" "{\"payment_method\":\"$1\"}" -H "authorization: Bearer $token" | pick status dunning; }
show

echo "2. Two weekly renewals, charged with the saved card"
advance P1W
advance P1W
show
echo "3. The card starts failing (4000 0000 0000 0341): the third renewal fails, grace keeps the tier"
card 4000000000000341 >/dev/null
advance P1W
show
echo "4. A working card: the failed invoice is retried at once and recovers; access never stopped"
echo "   $(card 4242424242424242)"
advance P1W
show
echo "5. The card fails for good: 3 days of grace, then no tier; the last retry (day 7) makes it unpaid"
card 4000000000000341 >/dev/null
advance P1W
show
echo "   3 minutes before grace ends, a new token expires with the access, not 5 minutes on:"
advance P2DT23H57M
show
advance PT4M
show
advance P4D
show
echo "   the token from step 1, verified:"
curl -s -X POST "$B/v1/entitlements/verify" -H 'content-type: application/json' \
  -d "{\"token\":\"$token\",\"audience\":\"cre_demo\"}" | pick status title
