# shellcheck shell=bash disable=SC2015,SC2016
# scripts/netns-lab.d/topology.sh: the network of the NAT lab, sourced by scripts/netns-lab.
#
# Two NATed home networks and a public relay, built from Linux network
# namespaces. Needs root, iproute2 and nft (or iptables as a fallback).
#
# Address plan (public segment 11.0.0.0/24: NOT in js-libp2p's private list,
# unlike 100.64/10, 192.0.2/24, 198.51.100/24, 203.0.113/24 and RFC1918):
#   ${P}pub    bridge br0 (switch, no IP)       public segment 11.0.0.0/24
#   ${P}relay  eth0 11.0.0.10/24                "relay.lab" (/etc/netns/<ns>/hosts)
#   ${P}ra     wan0 11.0.0.1/24   lan0 10.1.0.1/24   (NAT router A)
#   ${P}rb     wan0 11.0.0.2/24   lan0 10.2.0.1/24   (NAT router B)
#   ${P}ha     eth0 10.1.0.10/24  default via 10.1.0.1
#   ${P}hb     eth0 10.2.0.10/24  default via 10.2.0.1
# Routers masquerade LAN -> WAN and drop anything unsolicited arriving on wan0.
# LAB_NAT_B=random makes router B port-randomising (a new outside port per connection).
# All veths are created directly inside the namespaces (ip -n NS link add ...
# peer ... netns NS2), so nothing is ever placed in the root namespace.
# PREFIX: 1-8 chars [a-z0-9].

RELAY_NAME=relay.lab
PUB_NET=11.0.0.0/24
RELAY_IP=11.0.0.10
RA_WAN=11.0.0.1  RA_LAN=10.1.0.1  HA_IP=10.1.0.10  A_NET=10.1.0.0/24
RB_WAN=11.0.0.2  RB_LAN=10.2.0.1  HB_IP=10.2.0.10  B_NET=10.2.0.0/24
NFT_TABLE=netnslab
ROLES=(pub relay ra rb ha hb)

log() { echo "[netns-lab] $*" >&2; }
die() { echo "[netns-lab] error: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

valid_prefix() { [[ "${1:-}" =~ ^[a-z0-9]{1,8}$ ]]; }

ns_exists() { [ -e "/run/netns/$1" ]; }

# write a sysctl inside a namespace (ip netns exec gives the ns its own /proc/sys/net view)
nsctl() { ip netns exec "$1" sh -c "echo $3 > /proc/sys/${2//.//}"; }

pick_fw() {
  case "${LAB_FW:-auto}" in
    nft) command -v nft >/dev/null && echo nft || return 1 ;;
    iptables) command -v iptables >/dev/null && echo iptables || return 1 ;;
    auto) if command -v nft >/dev/null; then echo nft
          elif command -v iptables >/dev/null; then echo iptables
          else return 1; fi ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------- check
# Probes everything the lab needs; sets CHECK_FAIL (reason) or CHECK_FW (nft|iptables).
# Returns 0 when the lab can run. Installs nothing (scripts/netns-lab does that).
cmd_check() {
  local fail="" t="omchk$$" fw=""
  CHECK_FAIL="" CHECK_FW=""
  if [ "$(id -u)" != 0 ]; then fail="not root (uid $(id -u))"
  elif ! command -v ip >/dev/null; then fail="iproute2 'ip' not found"
  elif ! fw=$(pick_fw); then fail="no firewall tool for LAB_FW=${LAB_FW:-auto}: need nft (apt-get install -y nftables) or iptables"
  elif ! ip netns add "$t" 2>/dev/null; then fail="'ip netns add' failed (no CAP_SYS_ADMIN / netns support?)"
  else
    # real probe: veth + NAT rule inside a throwaway namespace (catches missing kernel modules)
    if ! ip -n "$t" link add c0 type veth peer name c1 2>/dev/null; then fail="veth creation failed in netns"
    elif ! ip netns exec "$t" true 2>/dev/null; then fail="'ip netns exec' failed (cannot unshare mount ns?)"
    elif [ "$fw" = nft ] && ! ip netns exec "$t" nft -f - 2>/dev/null <<EOF
table ip probe {
  chain p { type nat hook postrouting priority srcnat; oifname "c0" masquerade; }
}
EOF
    then fail="nft cannot load a masquerade rule in a netns (nf_tables/nft_masq/nf_conntrack missing?)"
    elif [ "$fw" = iptables ] && ! ip netns exec "$t" iptables -t nat -A POSTROUTING -o c0 -j MASQUERADE 2>/dev/null
    then fail="iptables cannot add a MASQUERADE rule in a netns"
    fi
    ip netns del "$t" 2>/dev/null || true
  fi
  if [ -n "$fail" ]; then CHECK_FAIL="$fail"; return 1; fi
  CHECK_FW="$fw"
}

# ---------------------------------------------------------------- down
cmd_down() {
  local P="$1" role ns pid pids
  for role in "${ROLES[@]}"; do
    ns="$P$role"
    if ns_exists "$ns"; then
      # kill anything still running in the namespace, otherwise the netns (and its
      # veths) lives on anonymously after 'ip netns del'
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      if [ -n "$pids" ]; then
        for pid in $pids; do kill "$pid" 2>/dev/null || true; done
        sleep 0.2
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      fi
      ip netns exec "$ns" nft delete table inet "$NFT_TABLE" 2>/dev/null || true
      ip netns exec "$ns" nft delete table ip "$NFT_TABLE" 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
    rm -rf "/etc/netns/$ns"
  done
  # nothing is ever created in the root ns (veths are born inside the namespaces and die
  # with them), so no root-ns link cleanup is needed — and deleting "links named $P*"
  # would be dangerous for short prefixes (e.g. "e" would match eth0).
  rmdir /etc/netns 2>/dev/null || true   # only if empty
  return 0
}

# ---------------------------------------------------------------- up
fw_router() {  # ns lan_net [masquerade|random]
  # random: a new outside port for every connection (a port-randomising, "symmetric" NAT),
  # so the outside address a STUN server sees is not the one another peer would reach
  local ns="$1" net="$2" nft_flags="" ipt_flags=""
  [ "${3:-masquerade}" = random ] && nft_flags=" fully-random" && ipt_flags=" --random-fully"
  if [ "$FW" = nft ]; then
    ip netns exec "$ns" nft -f - <<EOF
table ip $NFT_TABLE {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $net oifname "wan0" masquerade$nft_flags
  }
}
table inet $NFT_TABLE {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    iifname "lan0" oifname "wan0" accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" drop
  }
}
EOF
  else
    ip netns exec "$ns" sh -e -c "
      iptables -t nat -A POSTROUTING -s $net -o wan0 -j MASQUERADE$ipt_flags
      iptables -P FORWARD DROP
      iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP
      iptables -A FORWARD -i lan0 -o wan0 -j ACCEPT
      iptables -A INPUT -i wan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      iptables -A INPUT -i wan0 -j DROP"
  fi
}

cmd_up() {
  local P="$1" role ns
  for role in "${ROLES[@]}"; do ns_exists "$P$role" && die "namespace $P$role already exists (run: $0 down $P)"; done
  FW=$(pick_fw) || die "no usable firewall tool (LAB_FW=${LAB_FW:-auto}); run '$0 check'"

  # the caller's EXIT trap tears down whatever was built when a step fails

  local PUB=${P}pub RELAY=${P}relay RA=${P}ra RB=${P}rb HA=${P}ha HB=${P}hb
  for role in "${ROLES[@]}"; do
    ns="$P$role"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # new netns copy ipv4 devconf (forwarding, rp_filter, ...) from the root ns when
    # net.core.devconf_inherit_init_net=0 — set everything explicitly
    nsctl "$ns" net.ipv4.ip_forward 0
    nsctl "$ns" net.ipv4.conf.all.rp_filter 0
    nsctl "$ns" net.ipv4.conf.default.rp_filter 0
    nsctl "$ns" net.ipv6.conf.all.disable_ipv6 1        # IPv4-only lab: no fe80/ULA leaks
    nsctl "$ns" net.ipv6.conf.default.disable_ipv6 1
  done

  # public switch
  ip -n "$PUB" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$PUB" link set br0 up
  [ -e /proc/sys/net/bridge ] && ip netns exec "$PUB" sh -c \
    'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -w "$f" ] && echo 0 > "$f"; done; true'

  # legs on the public segment: <ns>:<ifname> <-> pub:p-<role>
  ip -n "$RELAY" link add eth0 type veth peer name p-relay netns "$PUB"
  ip -n "$RA"    link add wan0 type veth peer name p-ra    netns "$PUB"
  ip -n "$RB"    link add wan0 type veth peer name p-rb    netns "$PUB"
  for p in p-relay p-ra p-rb; do
    ip -n "$PUB" link set "$p" master br0
    ip -n "$PUB" link set "$p" up
  done
  # home LANs: router lan0 <-> host eth0
  ip -n "$HA" link add eth0 type veth peer name lan0 netns "$RA"
  ip -n "$HB" link add eth0 type veth peer name lan0 netns "$RB"

  ip -n "$RELAY" addr add "$RELAY_IP/24" dev eth0; ip -n "$RELAY" link set eth0 up
  ip -n "$RA" addr add "$RA_WAN/24" dev wan0; ip -n "$RA" link set wan0 up
  ip -n "$RA" addr add "$RA_LAN/24" dev lan0; ip -n "$RA" link set lan0 up
  ip -n "$RB" addr add "$RB_WAN/24" dev wan0; ip -n "$RB" link set wan0 up
  ip -n "$RB" addr add "$RB_LAN/24" dev lan0; ip -n "$RB" link set lan0 up
  ip -n "$HA" addr add "$HA_IP/24" dev eth0; ip -n "$HA" link set eth0 up
  ip -n "$HB" addr add "$HB_IP/24" dev eth0; ip -n "$HB" link set eth0 up
  ip -n "$HA" route add default via "$RA_LAN"
  ip -n "$HB" route add default via "$RB_LAN"

  # routers: forwarding + NAT + stateful firewall
  nsctl "$RA" net.ipv4.ip_forward 1
  nsctl "$RB" net.ipv4.ip_forward 1
  fw_router "$RA" "$A_NET"
  fw_router "$RB" "$B_NET" "${LAB_NAT_B:-masquerade}"

  # name resolution: ip netns exec bind-mounts /etc/netns/<ns>/<file> over /etc/<file>
  for role in "${ROLES[@]}"; do
    ns="$P$role"
    mkdir -p "/etc/netns/$ns"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n' \
      "$RELAY_IP" "$RELAY_NAME" > "/etc/netns/$ns/hosts"
  done

  log "up: prefix=$P firewall=$FW"
  cat <<EOF
LAB_PREFIX=$P
LAB_FW=$FW
LAB_NS_PUB=$PUB
LAB_NS_RELAY=$RELAY
LAB_NS_RA=$RA
LAB_NS_RB=$RB
LAB_NS_HA=$HA
LAB_NS_HB=$HB
LAB_PUBLIC_NET=$PUB_NET
LAB_RELAY_IP=$RELAY_IP
LAB_RELAY_NAME=$RELAY_NAME
LAB_RA_PUBLIC_IP=$RA_WAN
LAB_RB_PUBLIC_IP=$RB_WAN
LAB_RA_LAN_IP=$RA_LAN
LAB_RB_LAN_IP=$RB_LAN
LAB_HA_IP=$HA_IP
LAB_HB_IP=$HB_IP
EOF
}

# ---------------------------------------------------------------- verify
# Listeners are bounded (timeout) and killed by pid; traffic stays inside the lab namespaces.
PY=$(command -v python3 || true)
listen() {  # ns port outfile -> starts a TCP listener that logs each peer IP; echoes its pid
  ip netns exec "$1" timeout 30 "$PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
out = open(sys.argv[2], "a", buffering=1)
while True:
    c, a = s.accept(); out.write(a[0] + "\n"); c.close()
' "$2" "$3" >/dev/null 2>&1 &
  echo $!
}
wait_listen() {  # ns port
  local i; for i in $(seq 50); do
    ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0; sleep 0.05; done
  return 1
}
tcp_try() {  # ns host port -> 0 if connect succeeds within 2s
  ip netns exec "$1" timeout 2 bash -c "echo hi > /dev/tcp/$2/$3" 2>/dev/null
}

cmd_verify() {
  local P="$1" ok=0 bad=0 tmp pids=() got
  [ -n "$PY" ] || die "python3 needed for verify"
  tmp=$(mktemp -d /tmp/netns-lab-verify.XXXXXX)
  pass() { echo "PASS $*"; ok=$((ok+1)); }
  fail() { echo "FAIL $*"; bad=$((bad+1)); }
  expect() { local want="$1"; shift; local d="$1"; shift
    if "$@"; then [ "$want" = ok ] && pass "$d" || fail "$d (unexpectedly succeeded)"
    else [ "$want" = no ] && pass "$d" || fail "$d"; fi; }

  for role in relay ra rb ha hb; do
    got=$(ip netns exec "$P$role" getent hosts "$RELAY_NAME" | awk '{print $1}')
    [ "$got" = "$RELAY_IP" ] && pass "getent hosts $RELAY_NAME in $P$role -> $got" \
      || fail "getent hosts $RELAY_NAME in $P$role -> '$got'"
  done
  got=$(getent hosts "$RELAY_NAME" | awk '{print $1}' || true)
  [ -z "$got" ] && pass "root ns does not resolve $RELAY_NAME (no leak into /etc/hosts)" || fail "root ns resolves $RELAY_NAME"

  pids+=("$(listen "${P}relay" 7000 "$tmp/relay.log")")
  pids+=("$(listen "${P}ha" 7001 "$tmp/ha.log")")
  pids+=("$(listen "${P}hb" 7002 "$tmp/hb.log")")
  wait_listen "${P}relay" 7000 && wait_listen "${P}ha" 7001 && wait_listen "${P}hb" 7002 || fail "listeners did not start"

  expect ok "ha -> relay.lab:7000 (TCP, by name)" tcp_try "${P}ha" "$RELAY_NAME" 7000
  expect ok "hb -> $RELAY_IP:7000 (TCP)"           tcp_try "${P}hb" "$RELAY_IP" 7000
  sleep 0.2
  grep -qx "$RA_WAN" "$tmp/relay.log" && pass "relay saw ha's connection from $RA_WAN (NAT A)" || fail "relay log: $(tr '\n' ' ' < "$tmp/relay.log")"
  grep -qx "$RB_WAN" "$tmp/relay.log" && pass "relay saw hb's connection from $RB_WAN (NAT B)" || fail "relay log: $(tr '\n' ' ' < "$tmp/relay.log")"
  grep -q '^10\.' "$tmp/relay.log" && fail "relay saw a private source address" || pass "relay never saw a 10.x source"
  ip netns exec "${P}ra" nft list table ip "$NFT_TABLE" >/dev/null 2>&1 && \
    { ip netns exec "${P}ra" cat /proc/net/nf_conntrack 2>/dev/null | grep -q "dst=$RELAY_IP" \
      && pass "conntrack entry on ra for $RELAY_IP" || echo "info: /proc/net/nf_conntrack not readable"; }

  expect no "relay -> $HA_IP:7001 (no route)"                 tcp_try "${P}relay" "$HA_IP" 7001
  expect no "relay -> $RA_WAN:7001 (router public IP, no port forward)" tcp_try "${P}relay" "$RA_WAN" 7001
  ip -n "${P}relay" route add "$A_NET" via "$RA_WAN"
  expect no "relay -> $HA_IP:7001 with route via $RA_WAN (router drops unsolicited)" tcp_try "${P}relay" "$HA_IP" 7001
  ip -n "${P}relay" route del "$A_NET" via "$RA_WAN"
  expect no "ha -> hb $HB_IP:7002 (private address, no route)" tcp_try "${P}ha" "$HB_IP" 7002
  ip -n "${P}ra" route add "$B_NET" via "$RB_WAN"
  expect no "ha -> hb $HB_IP:7002 with route on ra via $RB_WAN (rb drops unsolicited)" tcp_try "${P}ha" "$HB_IP" 7002
  ip -n "${P}ra" route del "$B_NET" via "$RB_WAN"
  expect no "ha -> $RB_WAN:7002 (B's public IP, no port forward)" tcp_try "${P}ha" "$RB_WAN" 7002
  [ -s "$tmp/ha.log" ] && fail "ha listener got: $(cat "$tmp/ha.log")" || pass "ha listener received nothing"
  [ -s "$tmp/hb.log" ] && fail "hb listener got: $(cat "$tmp/hb.log")" || pass "hb listener received nothing"

  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
  echo "$ok passed, $bad failed"
  [ "$bad" -eq 0 ]
}

# ---------------------------------------------------------------- port forward
# Router A forwards TCP port PORT on its public address (11.0.0.1) to ha (DNAT):
# home A becomes directly reachable, home B stays behind its NAT.
cmd_forward() {  # prefix port
  local P="$1" port="$2" fw
  fw=$(pick_fw) || die "no usable firewall tool"
  if [ "$fw" = nft ]; then
    ip netns exec "${P}ra" nft -f - <<EOF
table ip $NFT_TABLE {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan0" tcp dport $port dnat to $HA_IP:$port
  }
}
EOF
    ip netns exec "${P}ra" nft insert rule inet "$NFT_TABLE" forward ct status dnat accept
  else
    ip netns exec "${P}ra" sh -e -c "
      iptables -t nat -A PREROUTING -i wan0 -p tcp --dport $port -j DNAT --to-destination $HA_IP:$port
      iptables -I FORWARD -m conntrack --ctstate DNAT -j ACCEPT"
  fi
  log "forward: $RA_WAN:$port -> $HA_IP:$port on ${P}ra"
}
