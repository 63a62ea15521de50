#!/usr/bin/env bash
# Printed at the end of `make run`: where things are and how to register a softphone.
conf="${VPBX_CONFIG:-/etc/vpbx/vpbx.conf}"
get() { sed -n "/^\[$1\]/,/^\[/p" "$conf" | awk -F' = ' -v k="$2" '$1==k {print $2}'; }
cat <<TXT

Virtual PBX is running.
  SIP (UDP and TCP)  $(get sip address):$(get sip port)
  Web UI             http://127.0.0.1:$(get webui port)/   (demo-admin / demo-admin-7956)
  Kamailio log       $(get paths log_dir)/kamailio.log   (routing decisions: grep VPBX-)
  Configuration      $conf

Register a softphone of the demo tenant:
  domain / realm     demo.pbx.test
  outbound proxy     $(get sip address):$(get sip port)
  users              alice / alice-demo-7956   (extension 7956, +41215667956)
                     bob   / bob-demo-7961     (extension 7961, +41215667961)
                     carol / carol-demo-7965   (extension 7965)
Then call 7961 from alice, or the groups 401 (Reception) and 402 (Support); the main number
+41215667955 rings Reception in office hours, else its voicemail (dial 0860215667955, PIN 4821).
See what a call would do: vpbx simulate demo +41215667955 --at 2027-03-24T09:15
Stop everything with: make stop
TXT
