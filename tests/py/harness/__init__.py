"""System-test harness: network namespaces, processes, packets.

  harness.netns   Netns, Veth, NetnsPair: namespaces joined by veth pairs,
                  10.99.<subnet>.<host>/24 and fd00:99:<subnet>::<host>/64,
                  always deleted (with, atexit); unavailable() says why not.
  harness.proc    Proc: a program run inside a namespace by PID, logs to
                  files, bounded waits for a log line / file / bound port,
                  SIGTERM then SIGKILL, always reaped.
  harness.pkt     UDP sockets made inside a namespace, exchange() with a
                  timeout, scapy frames on an AF_PACKET RawPort (malformed,
                  fragmented, IP options, VLAN), TwampSender over twamp_ref.

The pytest fixtures in tests/py/conftest.py wrap these (ns_pair, procs) and
skip tests marked ``system`` when namespaces cannot be used.
"""
