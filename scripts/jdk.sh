# Sourced by the launchers: finds a JDK 25 and exports JAVA_HOME and PATH for it.
# Order: $JAVA_HOME if it is a JDK 25, then any JDK 25 under /usr/lib/jvm.

jdk_major() {
  # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release"
  [ -x "$1/bin/javac" ] && [ -f "$rel" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
}

find_jdk25() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(jdk_major "$JAVA_HOME")" = "25" ]; then
    echo "$JAVA_HOME"; return 0
  fi
  local d
  for d in /usr/lib/jvm/*; do
    [ -d "$d" ] || continue
    if [ "$(jdk_major "$d")" = "25" ]; then echo "$d"; return 0; fi
  done
  return 1
}

if ! ATTNSWEEP_JDK=$(find_jdk25); then
  echo "attnsweep: needs a JDK 25: none at JAVA_HOME (${JAVA_HOME:-unset}) nor under /usr/lib/jvm" >&2
  exit 2
fi
export JAVA_HOME="$ATTNSWEEP_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
