# quiet.sh — sourced by run.sh (the machine is shared with other sessions).
# busy and total jiffies over all CPUs (busy = user+nice+system+irq+softirq+steal)
cpu_jiffies() { awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat; }
wait_quiet() { # until QUIET_SECS consecutive 1-s windows are quiet (other sessions share it)
  local waited=0 quiet=0 b0 t0 b1 t1
  read -r b0 t0 < <(cpu_jiffies)
  while [ "$quiet" -lt "${QUIET_SECS:-3}" ]; do
    sleep 1; read -r b1 t1 < <(cpu_jiffies)
    if [ $(((b1 - b0) * 100)) -lt $(((t1 - t0) * ${QUIET_BUSY_PCT:-15})) ]; then
      quiet=$((quiet + 1))
    else
      quiet=0; waited=$((waited + 1))
      [ "$waited" -ge "${QUIET_MAX_WAIT:-600}" ] && break
    fi
    b0=$b1; t0=$t1
  done
  echo "$waited"
}
