# Shared by scripts/*.sh: logging and install-if-missing helpers.
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# apt packages, installed only when a command they provide is missing.
need_apt() {  # need_apt COMMAND PACKAGE...
  command -v "$1" >/dev/null 2>&1 && return 0
  shift
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}
