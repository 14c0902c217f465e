# Sourced by the scripts beside it: exports the installation's settings from the environment
# file the services read (CIVICDESK_ENV_FILE, by default /etc/civicdesk/civicdesk.env), read as
# systemd reads an EnvironmentFile: NAME=value a line, # comments, one pair of quotes around a
# value removed, nothing expanded (a secret may contain $ or spaces).

civicdesk_env_file="${CIVICDESK_ENV_FILE:-/etc/civicdesk/civicdesk.env}"
if [ ! -r "$civicdesk_env_file" ]; then
  echo "Cannot read the settings in $civicdesk_env_file. Run this as the civicdesk user" \
    "(sudo -u civicdesk ...), or name the file in CIVICDESK_ENV_FILE." >&2
  exit 1
fi

civicdesk_line_number=0
while IFS= read -r civicdesk_line || [ -n "$civicdesk_line" ]; do
  civicdesk_line_number=$((civicdesk_line_number + 1))
  civicdesk_line="${civicdesk_line%$'\r'}"
  civicdesk_line="${civicdesk_line#"${civicdesk_line%%[![:space:]]*}"}"
  case "$civicdesk_line" in '' | '#'* | ';'*) continue ;; esac
  civicdesk_name="${civicdesk_line%%=*}"
  civicdesk_name="${civicdesk_name%"${civicdesk_name##*[![:space:]]}"}"
  if [ "$civicdesk_name" = "$civicdesk_line" ] || ! [[ "$civicdesk_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    # The line itself is not shown: it may hold a secret.
    echo "$civicdesk_env_file, line $civicdesk_line_number: expected NAME=value." >&2
    exit 1
  fi
  civicdesk_value="${civicdesk_line#*=}"
  civicdesk_value="${civicdesk_value#"${civicdesk_value%%[![:space:]]*}"}"
  civicdesk_value="${civicdesk_value%"${civicdesk_value##*[![:space:]]}"}"
  if [[ ${#civicdesk_value} -ge 2 && ( "$civicdesk_value" == \"*\" || "$civicdesk_value" == \'*\' ) ]]; then
    civicdesk_value="${civicdesk_value:1:${#civicdesk_value}-2}"
  fi
  export "$civicdesk_name=$civicdesk_value"
done <"$civicdesk_env_file"
unset civicdesk_line civicdesk_line_number civicdesk_name civicdesk_value
