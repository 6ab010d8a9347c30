# twamp-reflector, twamp-controld and twamp-client in a Debian bookworm image.
#
#   podman build -t twamp-reflector .        (or docker build)
#   podman run --rm twamp-reflector          (prints the usage)
#   podman run --rm --entrypoint twamp-client twamp-reflector light --help
#   podman run --rm --entrypoint twamp-controld twamp-reflector --help
#
# A memif port shared with a peer outside the container, and a configuration
# volume (root-owned, mode 0600 when it holds keys):
#
#   podman run --network none -v /run/memif:/run/memif -v /etc/twamp-reflector:/cfg:ro \
#     twamp-reflector --lcores 0@0,1@1 --no-huge -m 512 --no-pci --file-prefix twr \
#     --vdev net_memif0,role=server,socket=/run/memif/twr.sock,socket-abstract=no \
#     -- -c /cfg/memif.json
#
# dpdk-configs/README.md has the other profiles (af_packet, a NIC with vfio).
# Built with -Dnative=false: generic x86-64 code, so the image runs on any
# x86-64 host (intel-ipsec-mb still picks its code path for the CPU at run time).

# ---- build stage: compilers and -dev packages, never shipped ---------------
FROM docker.io/library/debian:bookworm-slim AS build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config meson ninja-build \
      libdpdk-dev libipsec-mb-dev libssl-dev libyang2-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# .dockerignore keeps tests, benchmarks and build folders out of the context
WORKDIR /src
COPY . .
RUN meson setup /build --prefix=/usr -Dtests=false -Dbench=false -Dnative=false -Db_lto=true \
 && meson compile -C /build \
 && meson install -C /build --destdir /out

# ---- runtime stage (last: a build without --target makes this one) -------
FROM docker.io/library/debian:bookworm-slim

# DPDK's drivers are plugins, each in its own package: the buses and mempool
# driver EAL needs, the virtual ports (memif, af_packet, AF_XDP, TAP for the
# exception path) and common NICs. No dpdk-dev, no compilers.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librte-eal23 librte-ethdev23 librte-hash23 librte-rcu23 librte-mbuf23 \
      librte-mempool23 librte-mempool-ring23 librte-bus-vdev23 librte-bus-pci23 \
      librte-net-memif23 librte-net-af-packet23 librte-net-af-xdp23 librte-net-tap23 \
      librte-net-i40e23 librte-net-iavf23 librte-net-ice23 librte-net-ixgbe23 \
      librte-net-mlx5-23 librte-net-virtio23 \
      libipsec-mb1 libssl3 libyang2 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

COPY --from=build /out/usr/bin/twamp-reflector /out/usr/bin/twamp-client /usr/bin/
COPY --from=build /out/usr/sbin/twamp-controld /usr/sbin/
COPY --from=build /out/usr/share/twamp-reflector/yang/ /usr/share/twamp-reflector/yang/

# The installed module (the build's source tree is not in this image; the
# variable makes the lookup independent of where that tree was).
ENV TWR_YANG_DIR=/usr/share/twamp-reflector/yang

LABEL org.opencontainers.image.title="twamp-reflector" \
      org.opencontainers.image.description="DPDK TWAMP reflector (RFC 5357, RFC 6038) with its TWAMP-Control server and twamp-client" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

ENTRYPOINT ["/usr/bin/twamp-reflector"]
# Without arguments: a minimal EAL (one lcore, no hugepages, no files) and
# the reflector's usage.
CMD ["-l", "0", "--no-huge", "-m", "64", "--no-pci", "--no-telemetry", "--no-shconf", \
     "--log-level=lib.eal:error", "--", "--help"]
