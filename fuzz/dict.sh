# The libFuzzer dictionary of each target, in one place for smoke.sh and
# campaign.sh (sourced; prints the path relative to fuzz/).
dict_for() {
  case "$1" in
    canon_decode) echo dictionaries/canon.dict ;;
    passport_verify | jwks_parse | attest_verify) echo dictionaries/jose.dict ;;
    *) echo dictionaries/scl.dict ;;
  esac
}
