import { createLogger } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { CliCommand } from '../command.js'
import { parseKubearmorSimArgs } from './kubearmor-sim-args.js'

export { parseKubearmorSimArgs }

const HELP = `fedlake kubearmor-sim: run a simulated KubeArmor LogService (feeder.LogService over gRPC)

Usage: fedlake kubearmor-sim [options]

Options:
  --port N             port to listen on; 0 picks a free one (default 32767)
  --host H             address to bind (default 127.0.0.1)
  --rate N             events per second over all streams; 0 = as fast as subscribers take them (default 0)
  --count N            generate exactly N events in total, then keep the streams open and idle
  --seed S             seed of the event generator (default 1)
  --nodes K            simulated nodes (default 2)
  --pods M             simulated pods (default 8)
  --cluster NAME       ClusterName of every event (default default)
  --debug              also send Message events, as KubeArmor does with --debug (default off)
  --profile P          relay (default: all nodes on one endpoint, logs queue 10000, remotehost=)
                       or daemon (queues of 1000, keepalive 1 s)
  --queue-size N       per-subscriber queue size for every stream (default from the profile)
  --wait-for LIST      do not generate until these streams (logs,alerts,messages) have a subscriber;
                       default with --count: every stream that gets events; 'none' to disable
  --recycle-after N    re-send the first N events with fresh timestamps (default 20000 unthrottled,
                       0 with --rate)
  --throttle           emulate KubeArmor's alert throttling (alertThrottling=true; default off)
  --max-alerts-per-sec N   throttling threshold per container (default 10; implies --throttle)
  --throttle-sec N     seconds a container's alerts stay suppressed (default 30; implies --throttle)
  --dump FILE          write every sent event as Go-style JSON lines; {stream} in FILE = one file per stream
  --tls-cert FILE      serve the LogService port over TLS with this PEM certificate (chain); needs --tls-key
  --tls-key FILE       PEM private key of --tls-cert
  --tls-client-ca FILE require client certificates signed by this PEM CA (mTLS); needs --tls-cert/--tls-key
                       (default: insecure, as KubeArmor's tlsEnabled=false)
  --health-port N      serve grpc.health.v1 only on this separate plaintext port (KubeArmor since 2026-06
                       uses 32766); 0 picks a free one (default: health on the LogService port)
  --no-health          no grpc.health.v1 service at all
  --reflection         register gRPC server reflection (v1 and v1alpha) on the LogService port
  --no-reflection      do not; default: on with --profile daemon (the daemon registers it), off with relay
  --log-level L        debug|info|warn|error|silent for the JSON log on stderr (default warn)
  -h, --help           show this help

Prints 'ready kubearmor-sim port=<p> ... tls=off|on|mtls health=same-port|separate-port|off
[health_port=<p>] reflection=on|off' on stdout when listening; on SIGINT/SIGTERM it stops and prints
its final statistics as one JSON line.
`

export const kubearmorSimCommand: CliCommand = {
  name: 'kubearmor-sim',
  summary: 'run a simulated KubeArmor LogService (gRPC)',
  help: HELP,
  async run (argv) {
    const { init, logLevel } = parseKubearmorSimArgs(argv)
    const logger = createLogger({ level: logLevel, component: 'kubearmor-sim' })
    const simulator = createKubeArmorSimulator({ ...init, logger })
    await simulator.start()
    const s = simulator.stats()
    process.stdout.write(`ready kubearmor-sim port=${simulator.port} address=${simulator.address} profile=${s.profile} cluster=${s.cluster} ` +
      `nodes=${simulator.generator.topology.nodes.length} pods=${simulator.generator.topology.pods.length} ` +
      `rate=${s.rate ?? 'unthrottled'} count=${s.count ?? 'unlimited'} debug=${init.debug === true} ` +
      `tls=${s.tls} health=${s.health}${s.healthPort === null ? '' : ` health_port=${s.healthPort}`} reflection=${s.reflection ? 'on' : 'off'}\n`)

    await new Promise<void>(resolve => {
      const onSignal = (): void => {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        resolve()
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
    })
    await simulator.stop()
    process.stdout.write(JSON.stringify({ stats: simulator.stats() }) + '\n')
    return 0
  }
}
