/*
 * The network as the metadata tells it: every node (roles, cluster, REST address), its liveness, what it
 * answers to a ping, and the tables each operator holds. networkModel is pure (node:test runs it).
 *
 * Sources, each a REST command any user has:
 *   blockchain get (operator, query, cluster)            nodes, their REST and p2p addresses, cluster names
 *   get data nodes where format = json                   which operator holds which dbms.table
 *   test network metadata version where format = json   liveness and metadata version per node
 *   test network where format = json                     whether each node answers a ping now
 */

/** REST origin (`http://ip:port`) of a node policy body, or undefined. */
export function restOrigin (body) {
  if (body === null || typeof body !== 'object') return undefined
  const ip = typeof body.ip === 'string' && body.ip !== '' ? body.ip : undefined
  const port = Number(body.rest_port)
  if (ip === undefined || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined
  if (!/^[\w.:-]+$/.test(ip)) return undefined // an address, not text that could make another URL
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`
}

/**
 * `{ nodes, clusters }`: nodes sorted by name, each `{ key, name, roles, cluster, restOrigin, p2pAddress,
 * peerId, tables, liveness, ping, metadataInSync }`. Any source may be missing (undefined): its fields stay
 * undefined. `self` is the name of the node serving the page.
 */
export function networkModel ({ policies = [], dataNodes, versions, pings, self } = {}) {
  const clusterNames = new Map()
  for (const p of policies) {
    const c = p?.cluster
    if (c !== undefined && c.parent === undefined && typeof c.id === 'string') clusterNames.set(c.id, c.name)
  }
  const nodes = new Map()
  for (const p of policies) {
    for (const role of ['operator', 'query']) {
      const body = p?.[role]
      if (body === undefined || body === null || typeof body !== 'object') continue
      const key = typeof body.peer_id === 'string' && body.peer_id !== '' ? body.peer_id : `name:${body.name}`
      const node = nodes.get(key) ?? {
        key,
        name: String(body.name ?? ''),
        roles: [],
        cluster: undefined,
        restOrigin: restOrigin(body),
        p2pAddress: body.ip !== undefined && body.port !== undefined ? `${body.ip}:${body.port}` : undefined,
        peerId: body.peer_id,
        tables: [],
        liveness: undefined,
        ping: undefined,
        metadataInSync: undefined,
        self: false
      }
      if (!node.roles.includes(role)) node.roles.push(role)
      if (role === 'operator' && typeof body.cluster === 'string') node.cluster = clusterNames.get(body.cluster) ?? body.cluster.slice(0, 12)
      node.restOrigin ??= restOrigin(body)
      nodes.set(key, node)
    }
  }
  const byName = name => [...nodes.values()].filter(n => n.name === name)
  for (const row of dataNodes ?? []) {
    for (const node of byName(row['Node Name'])) {
      const table = `${row.DBMS}.${row.Table}`
      if (!node.tables.includes(table)) node.tables.push(table)
      if (node.liveness === undefined && typeof row['Node Status'] === 'string') node.liveness = row['Node Status']
    }
  }
  for (const row of versions ?? []) {
    const node = nodes.get(row['Peer ID']) ?? byName(row['Node Name'])[0]
    if (node === undefined) continue
    if (typeof row['Node Status'] === 'string') node.liveness = row['Node Status']
    node.metadataInSync = row['Same As Local'] === 'V'
  }
  for (const row of pings ?? []) {
    const names = String(row['Node Name'] ?? '').split(',')
    for (const node of nodes.values()) {
      if (node.p2pAddress === row.Address || names.includes(node.name)) node.ping = row.Status === '+'
    }
  }
  for (const node of nodes.values()) {
    node.tables.sort()
    if (node.name === self) {
      node.self = true
      node.liveness ??= 'active' // a node does not list itself among its peers
      node.metadataInSync ??= true
    }
  }
  const list = [...nodes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const clusters = [...new Set(list.map(n => n.cluster).filter(c => c !== undefined))].sort()
  return { nodes: list, clusters }
}
