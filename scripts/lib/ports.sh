# shellcheck shell=bash
# free_port — print a TCP port that is free on 127.0.0.1 right now (the kernel picks it).
# Another process could take it before the caller binds it; the service scripts check and fail
# loudly in that case rather than talking to a stranger.
free_port() {
  local py
  py=$(command -v python3 || true)
  [[ -n "$py" ]] || py=/usr/bin/python3
  "$py" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
