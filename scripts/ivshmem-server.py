#!/usr/bin/env python3
# The ivshmem server reference/q35-ivshmem was recorded against (QEMU's contrib/ivshmem-server is not in
# Debian's packages): python3 scripts/ivshmem-server.py /tmp/pcisim-ivshmem.sock 4194304
# a minimal ivshmem server (docs/specs/ivshmem-spec.txt): version 0, the peer's ID, then -1 with the shared memory fd
import os, socket, struct, sys
path, size = sys.argv[1], int(sys.argv[2])
fd = os.memfd_create('ivshmem')
os.ftruncate(fd, size)
try: os.unlink(path)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(4)
peers = []
n = 0
while True:
    c, _ = s.accept()
    c.sendall(struct.pack('<q', 0))
    c.sendall(struct.pack('<q', n))
    socket.send_fds(c, [struct.pack('<q', -1)], [fd])
    peers.append(c); n += 1
