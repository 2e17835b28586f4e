# Sourced by build.sh: an apt state of its own for Debian trixie riscv64, kept in the cache,
# so that packages come by name from the machine's own mirror without touching the host's apt.
#
# Needs: $cache (the cache folder), say, die.

# The machine's main Debian archive: the URIs of the first deb822 stanza in
# /etc/apt/sources.list.d/debian.sources that is not the security archive, else the first
# `deb` line of /etc/apt/sources.list. OSPITE_DEBIAN_MIRROR overrides both. The repository
# names no host: the mirror is the machine's business.
debian_mirror() {
  if [ -n "${OSPITE_DEBIAN_MIRROR:-}" ]; then
    echo "$OSPITE_DEBIAN_MIRROR"
    return
  fi
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list (set OSPITE_DEBIAN_MIRROR)"
  echo "$uri"
}

MIRROR=$(debian_mirror)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || die "$KEYRING not found; install it with: apt-get install debian-archive-keyring"
APT_DIR=$cache/apt

# apt-get on our own state: trixie, riscv64 only.
tapt() {
  apt-get -q -o Dir="$APT_DIR" -o Dir::State::status="$APT_DIR/status" \
    -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=- \
    -o Dir::Etc::Preferences="$APT_DIR/preferences" -o Dir::Etc::PreferencesParts=- \
    -o Dir::Cache="$APT_DIR/cache" -o Dir::State="$APT_DIR/state" \
    -o APT::Architecture=riscv64 -o APT::Architectures=riscv64 \
    -o Debug::NoLocking=1 "$@"
}
tcache() {
  apt-cache -o Dir="$APT_DIR" -o Dir::State::status="$APT_DIR/status" \
    -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=- \
    -o Dir::Etc::Preferences="$APT_DIR/preferences" -o Dir::Etc::PreferencesParts=- \
    -o Dir::Cache="$APT_DIR/cache" -o Dir::State="$APT_DIR/state" \
    -o APT::Architecture=riscv64 -o APT::Architectures=riscv64 "$@"
}

# Refreshes the package lists once a day (OSPITE_DEBIAN_UPDATE=1 forces it): a warm cache
# then costs no network at all.
apt_update() {
  mkdir -p "$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial"
  touch "$APT_DIR/status" "$APT_DIR/preferences"
  echo "deb [arch=riscv64 signed-by=$KEYRING] $MIRROR trixie main" >"$APT_DIR/sources.list.new"
  local stamp=$APT_DIR/updated
  if cmp -s "$APT_DIR/sources.list.new" "$APT_DIR/sources.list" && [ -f "$stamp" ] &&
    [ -z "$(find "$stamp" -mmin +1440)" ] && [ "${OSPITE_DEBIAN_UPDATE:-0}" != 1 ]; then
    rm -f "$APT_DIR/sources.list.new"
    return
  fi
  mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
  say "apt-get update for trixie/riscv64 from $MIRROR"
  tapt update >"$APT_DIR/update.log" 2>&1 || { tail -n 20 "$APT_DIR/update.log" >&2; die "apt-get update failed (log: $APT_DIR/update.log)"; }
  touch "$stamp"
}

# `package version` for each package named, the candidate versions, in one apt-cache call
# (a call per package made a warm build take seconds); a package with none gets `(none)`.
apt_versions() {
  tcache policy "$@" 2>/dev/null |
    awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) } /Candidate:/ { print p, $2 }'
}

# The package that a virtual or meta package $1 depends on first whose name starts with $2
# (linux-image-riscv64 -> linux-image-6.12.*-riscv64).
apt_first_dep() {
  tcache depends "$1" 2>/dev/null | awk -v p="$2" '/Depends:/ && $2 ~ "^"p { print $2; exit }'
}

# Downloads packages $@ (by name) into $1 and unpacks each there under unpacked/.
apt_fetch_unpack() {
  local dir=$1
  shift
  mkdir -p "$dir/debs" "$dir/unpacked"
  (cd "$dir/debs" && tapt download "$@" >"$dir/download.log" 2>&1) ||
    { tail -n 20 "$dir/download.log" >&2; die "apt-get download $* failed (log: $dir/download.log)"; }
  local deb
  for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dir/unpacked"
  done
}
