# Sourced by the install scripts: downloads packages of another Debian suite (trixie) with a
# private apt state and unpacks them into a folder with dpkg -x. Nothing is installed
# system-wide: mixing suites with apt-get install could upgrade libc.
#
#   unpack_suite_packages SUITE DIR PACKAGE... [?OPTIONAL_PACKAGE...]
# A name starting with '?' is fetched only when the suite has that package.

unpack_suite_packages() {
  local suite="$1" dir="$2"
  shift 2
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # the folder is known now
  trap "rm -rf '$work'; trap - RETURN" RETURN
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$dir"
  echo "deb http://deb.debian.org/debian $suite main" >"$work/sources.list"
  local apt_opts=(
    -o "Dir::Etc::SourceList=$work/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
    -o "Dir::State::Status=/dev/null"
    -o "APT::Architecture=$(dpkg --print-architecture)"
    -o "Debug::NoLocking=1"
    # the private apt state lives in a root-only temp dir: let apt run its downloads as root
    -o "APT::Sandbox::User=root"
  )
  apt-get "${apt_opts[@]}" -qq update
  local wanted=() p
  for p in "$@"; do
    if [[ "$p" == \?* ]]; then
      if apt-cache "${apt_opts[@]}" show "${p#\?}" >/dev/null 2>&1; then wanted+=("${p#\?}"); fi
    else
      wanted+=("$p")
    fi
  done
  (cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "${wanted[@]}")
  local deb
  for deb in "$work"/debs/*.deb; do
    dpkg -x "$deb" "$dir"
  done
}
