#!/usr/bin/env bash
# with_fake_google.sh — run one command beside tests/gcs/fake_google.py (token endpoint,
# metadata server, fault-injecting proxy to $STORAGE_EMULATOR_HOST when that is set).
#
#   tests/gcs/with_fake_google.sh CMD [ARGS…]
#
# Makes a test service account at run time — two RSA key pairs from `openssl genpkey` (the
# second one signs nothing the server accepts: the wrong-key case) — starts the fake, and runs
# CMD with:
#   FSIM_FAKE_GOOGLE        http://127.0.0.1:PORT of the fake
#   FSIM_TEST_KEY_PEM       the service account's private key (PEM file)
#   FSIM_TEST_PUB_PEM       its public key, the one the fake verifies with
#   FSIM_TEST_OTHER_KEY_PEM a private key of nobody
#   FSIM_TEST_SA_EMAIL, FSIM_TEST_SA_KID   the account's client_email and private_key_id
# Everything goes at the end (trap); the exit code is CMD's.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: with_fake_google.sh CMD [ARGS…]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/peer.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/fsim-google.XXXXXX")
pid=
cleanup() {
  local rc=$?
  peer_stop "$pid"
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null
openssl pkey -in "$dir/key.pem" -pubout -out "$dir/pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/other.pem" 2>/dev/null

email=fleetsim-test@fleetsim-test.iam.gserviceaccount.com
kid=0123456789abcdef0123456789abcdef01234567
peer_start "$dir/fake.out" "$dir/fake.err" \
  python3 "$here/fake_google.py" --pubkey "$dir/pub.pem" --email "$email" --kid "$kid"
pid=$peer_pid
url=$(peer_wait_ready "with_fake_google.sh: fake_google.py" "$dir/fake.out" "$dir/fake.err" \
  "$pid" '/^FAKE_GOOGLE_READY /{print $2; exit}' 30) || exit 1

export FSIM_FAKE_GOOGLE=$url FSIM_TEST_KEY_PEM=$dir/key.pem FSIM_TEST_PUB_PEM=$dir/pub.pem \
  FSIM_TEST_OTHER_KEY_PEM=$dir/other.pem FSIM_TEST_SA_EMAIL=$email FSIM_TEST_SA_KID=$kid
rc=0
"$@" || rc=$?
exit $rc
