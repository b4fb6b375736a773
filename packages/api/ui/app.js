// The live mesh page. It reads one Server-Sent Events stream, /v1/events,
// which sends a snapshot of the mesh as this node sees it and then heartbeats,
// peer status changes, connections, runs and memory writes as they happen
// (see MeshEvent in src/ui-api.ts). Text from peers (agent names, versions)
// only ever goes into the page as textContent.

/* global cytoscape */

/** How a node reaches a peer, best first: straight, hole-punched over WebRTC, through a relay */
const LINK_KINDS = ['direct', 'hole-punched', 'relayed']

const STATUS_COLOURS = {
  self: '#818cf8',
  connected: '#22c55e',
  alive: '#38bdf8',
  stale: '#f59e0b',
  gone: '#64748b',
  unknown: '#94a3b8'
}
const FEED_LENGTH = 40
/** Convergence signals the memory panel lists */
const SIGNALS_SHOWN = 10
const RECENT_RUNS = 12
const ZONES = ['private', 'shared', 'federation']

const state = {
  self: null,
  /** peer id → peer known from heartbeats */
  peers: new Map(),
  /** connection id → connection of this node */
  connections: new Map(),
  memory: null,
  /** convergence signals, newest first */
  signals: [],
  agents: [],
  runs: { active: [], recent: [] },
  /** latest heartbeat arrivals, newest first */
  beats: [],
  written: null,
  snapshotAt: 0
}

const $ = id => document.getElementById(id)

/** An element with a class and text, for building rows without markup strings */
function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className != null) node.className = className
  if (text != null) node.textContent = String(text)
  return node
}

const short = id => (id == null ? '?' : id.length > 14 ? `…${id.slice(-8)}` : id)

function ago (ms) {
  if (ms == null || ms <= 0) return '—'
  const s = Math.max(0, (Date.now() - ms) / 1000)
  if (s < 10) return `${s.toFixed(1)} s ago`
  if (s < 90) return `${Math.round(s)} s ago`
  if (s < 5400) return `${Math.round(s / 60)} min ago`
  return `${Math.round(s / 3600)} h ago`
}

function duration (ms) {
  if (ms == null) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 90) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 90) return `${m} min ${Math.round(s % 60)} s`
  const h = Math.floor(m / 60)
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`
}

const plural = (n, word) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`

const rtt = ms => (ms == null ? '—' : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`)

/* the graph */

let cy = null
let layoutKey = ''

function createGraph () {
  cy = cytoscape({
    container: $('graph'),
    minZoom: 0.3,
    maxZoom: 2.5,
    wheelSensitivity: 0.3,
    boxSelectionEnabled: false,
    style: [
      {
        selector: 'node',
        style: {
          'background-color': 'data(colour)',
          label: 'data(label)',
          color: '#cbd5e1',
          'font-size': 11,
          'font-family': 'DejaVu Sans Mono, monospace',
          'text-valign': 'bottom',
          'text-margin-y': 7,
          'text-background-color': '#0d1528',
          'text-background-opacity': 0.8,
          'text-background-padding': 2,
          'text-background-shape': 'roundrectangle',
          width: 30,
          height: 30,
          'border-width': 3,
          'border-color': '#0b1120',
          'border-opacity': 1,
          'transition-property': 'border-width, border-color',
          'transition-duration': 0.35
        }
      },
      {
        selector: 'node[?self]',
        style: { width: 62, height: 62, 'text-valign': 'center', 'text-margin-y': 0, 'text-background-opacity': 0, 'font-weight': 'bold', 'font-family': 'DejaVu Sans, sans-serif', color: '#0b1120' }
      },
      { selector: 'node[status = "gone"]', style: { opacity: 0.55 } },
      { selector: 'node.beat', style: { 'border-width': 6, 'border-color': '#7dd3fc' } },
      {
        selector: 'edge',
        style: {
          width: 2,
          'line-color': '#475569',
          'curve-style': 'straight',
          label: 'data(label)',
          'font-size': 9.5,
          color: '#8b98b0',
          'text-background-color': '#0d1528',
          'text-background-opacity': 0.85,
          'text-background-padding': 2,
          'text-rotation': 'autorotate'
        }
      },
      { selector: 'edge[kind = "relayed"]', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 4], 'line-color': '#c084fc' } },
      { selector: 'edge[kind = "hole-punched"]', style: { 'line-style': 'dotted', 'line-color': '#22d3ee' } },
      // links between two other nodes, as their heartbeats announce them
      { selector: 'edge[kind = "mesh"]', style: { width: 1, 'line-color': '#334155', opacity: 0.8 } },
      { selector: 'edge[runs > 0]', style: { width: 4, 'line-color': '#f59e0b' } },
      { selector: 'node:selected', style: { 'border-color': '#f8fafc', 'border-width': 4 } }
    ],
    elements: []
  })
}

/**
 * Every node the page knows: this node, peers from heartbeats, peers it is
 * connected to, and the peers other nodes announce links to
 */
function graphNodes () {
  const nodes = new Map()
  if (state.self != null) {
    nodes.set(state.self.peerId, { id: state.self.peerId, self: true, status: 'self', label: state.self.name || 'this node' })
  }
  for (const peer of state.peers.values()) {
    if (nodes.has(peer.peerId)) continue
    nodes.set(peer.peerId, { id: peer.peerId, self: false, status: peer.status, label: peer.name || short(peer.peerId) })
  }
  const unknown = id => { if (!nodes.has(id)) nodes.set(id, { id, self: false, status: 'unknown', label: short(id) }) }
  for (const c of state.connections.values()) unknown(c.peerId)
  for (const peer of state.peers.values()) {
    if (peer.status === 'gone') continue
    for (const link of peer.links ?? []) unknown(link)
  }
  return nodes
}

/** Runs between this node and each peer, in flight and recent, either way */
function runsByPeer () {
  const counts = new Map()
  for (const run of [...state.runs.active, ...state.runs.recent]) counts.set(run.peer, (counts.get(run.peer) ?? 0) + 1)
  return counts
}

/**
 * One edge per connected peer (direct when any of its connections is, with
 * the runs over it), and one per link between two other nodes that their
 * heartbeats announce (either side's beat is enough)
 */
function graphEdges () {
  const edges = new Map()
  const self = state.self?.peerId
  const runs = runsByPeer()
  for (const c of state.connections.values()) {
    const key = `link-${c.peerId}`
    const edge = edges.get(key) ?? { id: key, source: self, target: c.peerId, peerId: c.peerId, direct: 0, 'hole-punched': 0, relayed: 0, rtt: undefined, runs: runs.get(c.peerId) ?? 0 }
    edge[LINK_KINDS.includes(c.kind) ? c.kind : 'direct']++
    const peerRtt = state.peers.get(c.peerId)?.rtt ?? c.rtt
    if (peerRtt != null) edge.rtt = peerRtt
    edges.set(key, edge)
  }
  for (const peer of state.peers.values()) {
    if (peer.status === 'gone') continue
    for (const other of peer.links ?? []) {
      if (other === self || peer.peerId === self) continue
      const [a, b] = [peer.peerId, other].sort()
      const key = `mesh-${a}-${b}`
      if (!edges.has(key)) edges.set(key, { id: key, source: a, target: b, mesh: true })
    }
  }
  return edges
}

function renderGraph () {
  if (cy == null || state.self == null) return
  const nodes = graphNodes()
  const edges = graphEdges()
  cy.batch(() => {
    cy.nodes().forEach(n => { if (!nodes.has(n.id())) n.remove() })
    for (const node of nodes.values()) {
      const data = { ...node, colour: STATUS_COLOURS[node.status] ?? STATUS_COLOURS.unknown }
      const existing = cy.getElementById(node.id)
      if (existing.nonempty()) existing.data(data)
      else cy.add({ group: 'nodes', data })
    }
    cy.edges().forEach(e => { if (!edges.has(e.id())) e.remove() })
    for (const edge of edges.values()) {
      if (!nodes.has(edge.source) || !nodes.has(edge.target)) continue
      let data
      if (edge.mesh) {
        data = { id: edge.id, source: edge.source, target: edge.target, kind: 'mesh', label: '', runs: 0 }
      } else {
        const kind = LINK_KINDS.find(k => edge[k] > 0) ?? 'relayed'
        const count = edge.direct + edge['hole-punched'] + edge.relayed
        const label = [edge.rtt != null ? rtt(edge.rtt) : '', count > 1 ? `×${count}` : '', edge.runs > 0 ? `${edge.runs} run${edge.runs === 1 ? '' : 's'}` : ''].filter(Boolean).join(' ')
        data = { id: edge.id, source: edge.source, target: edge.target, peerId: edge.peerId, kind, label, runs: edge.runs }
      }
      const existing = cy.getElementById(data.id)
      if (existing.nonempty()) existing.data(data)
      else cy.add({ group: 'edges', data })
    }
  })
  const key = [...nodes.keys()].sort().join(',')
  if (key !== layoutKey) {
    layoutKey = key
    layout()
  }
  const graph = $('graph')
  graph.dataset.nodeCount = String(cy.nodes().length)
  graph.dataset.edgeCount = String(cy.edges().length)
  graph.dataset.ownEdgeCount = String(cy.edges('[kind != "mesh"]').length)
  graph.dataset.meshEdgeCount = String(cy.edges('[kind = "mesh"]').length)
}

/** This node in the middle, peers on rings around it */
function layout () {
  cy.layout({
    name: 'concentric',
    concentric: n => (n.data('self') ? 2 : 1),
    levelWidth: () => 1,
    minNodeSpacing: 90,
    padding: 40,
    animate: false
  }).run()
  cy.fit(undefined, 50)
  if (cy.zoom() > 1.6) {
    cy.zoom(1.6)
    cy.center()
  }
}

function pulse (peerId) {
  const node = cy?.getElementById(peerId)
  if (node == null || node.empty()) return
  node.addClass('beat')
  setTimeout(() => { node.removeClass('beat') }, 450)
}

/* the panels */

/** How this node reaches a peer: its best link, with how many of that kind, and a hole-punched link's ICE pair */
function linkOf (peerId) {
  const counts = linkCounts(c => c.peerId === peerId)
  const kind = LINK_KINDS.find(k => counts[k] > 0)
  if (kind == null) return { kind: 'none', text: '—' }
  const name = kind === 'hole-punched' ? 'hole-punched (webrtc)' : kind
  const ice = [...state.connections.values()].filter(c => c.peerId === peerId && c.ice != null).map(c => `ICE ${c.ice}`)
  return { kind, text: counts[kind] > 1 ? `${name} ×${counts[kind]}` : name, detail: ice.join('\n') }
}

function linkCell (link) {
  const cell = el('td', `link ${link.kind}`, link.text)
  if (link.detail) cell.title = link.detail
  return cell
}

/** Links of this node by kind, of the connections `which` picks */
function linkCounts (which = () => true) {
  const counts = { direct: 0, 'hole-punched': 0, relayed: 0 }
  for (const c of state.connections.values()) {
    if (which(c)) counts[LINK_KINDS.includes(c.kind) ? c.kind : 'direct']++
  }
  return counts
}

function renderSelf () {
  const self = state.self
  if (self == null) return
  $('mesh-name').textContent = self.mesh
  $('self-id').textContent = short(self.peerId)
  $('self-id').title = self.peerId
  $('self-version').textContent = self.version
  $('self-uptime').textContent = self.startedAt > 0 ? duration(Date.now() - self.startedAt) : '—'
  const nodes = graphNodes().size
  $('count-nodes').textContent = String(nodes)
  const counts = linkCounts()
  $('count-connections').textContent = LINK_KINDS.filter((k, i) => i === 0 || counts[k] > 0).map(k => `${counts[k]} ${k}`).join(' · ')
  $('beat-interval').textContent = `every ${duration(self.heartbeat.intervalMs)}`
  document.title = `Overmind Mesh · ${self.mesh} · ${nodes} nodes`
}

function renderPeers () {
  const body = $('peers')
  const rows = []
  if (state.self != null) {
    const self = state.self
    const chunks = state.memory != null ? state.memory.chunks.federation + state.memory.chunks.shared : null
    const row = peerRow(self.peerId, 'self', 'self', { kind: 'none', text: '—' }, null, null, null, state.agents.filter(a => a.self), self.version, self.name, { chunks, lag: self.replicationLagMs, runs: null })
    row.dataset.self = ''
    rows.push(row)
  }
  const peers = [...state.peers.values()].sort((a, b) => order(a.status) - order(b.status) || a.peerId.localeCompare(b.peerId))
  const runs = runsByPeer()
  for (const p of peers) {
    rows.push(peerRow(p.peerId, p.status, p.status, linkOf(p.peerId), p.lastSeen, p.rtt, p.load, p.agents ?? [], p.version, p.name, { chunks: p.beats > 0 ? p.memoryChunks : null, lag: p.replicationLagMs, runs: runs.get(p.peerId) ?? 0 }))
  }
  for (const node of graphNodes().values()) {
    if (node.status === 'unknown') rows.push(peerRow(node.id, 'unknown', 'no heartbeat', linkOf(node.id), null, null, null, [], '', '', { chunks: null, lag: null, runs: null }))
  }
  body.replaceChildren(...rows)
}

/** Agent names, each with what it does (its description and skills) on hover */
function agentsCell (agents) {
  const cell = el('td', 'agents')
  if (agents.length === 0) {
    cell.textContent = '—'
    return cell
  }
  agents.forEach((agent, i) => {
    if (i > 0) cell.append(', ')
    const span = el('span', null, agent.name)
    const skills = (agent.skills ?? []).length > 0 ? ` (skills: ${agent.skills.join(', ')})` : ''
    if (agent.description || skills) span.title = `${agent.description ?? ''}${skills}`
    cell.append(span)
  })
  return cell
}

function order (status) {
  return ['connected', 'alive', 'stale', 'gone'].indexOf(status)
}

function peerRow (peerId, status, statusText, link, lastSeen, peerRtt, load, agents, version, name, memory) {
  const row = el('tr')
  row.dataset.peerId = peerId
  row.dataset.status = status
  row.dataset.link = link.kind
  const id = el('td', 'mono', name ? `${name} ${short(peerId)}` : short(peerId))
  id.title = peerId
  const pill = el('td')
  pill.append(el('span', `pill ${status}`, statusText))
  row.append(
    id,
    pill,
    linkCell(link),
    el('td', 'num', lastSeen == null ? '—' : ago(lastSeen)),
    el('td', 'num', rtt(peerRtt)),
    el('td', 'num', load == null ? '—' : load.toFixed(2)),
    el('td', 'num chunks', memory.chunks == null ? '—' : memory.chunks.toLocaleString()),
    el('td', 'num lag', memory.lag == null || memory.lag === 0 ? '—' : duration(memory.lag)),
    el('td', 'num runs', memory.runs == null || memory.runs === 0 ? '—' : String(memory.runs)),
    agentsCell(agents),
    el('td', null, version || '—')
  )
  return row
}

function renderBeats () {
  const list = $('beats')
  const items = state.beats.map(beat => {
    const item = el('li', beat.fresh ? 'fresh' : null)
    beat.fresh = false
    const dot = el('span', `dot ${beat.status}`)
    const what = el('span', 'what')
    what.append(el('b', null, short(beat.peerId)), ` #${beat.seq} · ${rtt(beat.rtt)} · load ${beat.load?.toFixed(2) ?? '—'}`)
    const time = el('time', null, ago(beat.at))
    time.dateTime = new Date(beat.at).toISOString()
    item.append(dot, what, time)
    return item
  })
  list.replaceChildren(...items)
  $('beats-empty').hidden = items.length > 0
}

function renderMemory () {
  const box = $('memory')
  const memory = state.memory
  if (memory == null) {
    box.replaceChildren(el('p', 'empty', 'This node has no memory store.'))
    $('memory-meta').textContent = ''
    return
  }
  const largest = Math.max(1, ...ZONES.map(z => memory.chunks[z] ?? 0))
  box.replaceChildren(...ZONES.map(zone => {
    const count = memory.chunks[zone] ?? 0
    const row = el('div', `zone ${zone}`)
    row.dataset.zone = zone
    row.dataset.count = String(count)
    const bar = el('div', 'bar')
    const fill = el('span')
    fill.style.width = `${Math.round(count / largest * 100)}%`
    bar.append(fill)
    row.append(el('span', 'name', zone), bar, el('span', 'count', count.toLocaleString()))
    return row
  }))
  $('memory-meta').textContent = `${plural(memory.events, 'event')} · ${plural(memory.authors, 'author')} · ${memory.forgotten} forgotten · model ${memory.model}`
  const written = state.written
  $('memory-written').textContent = written != null && Date.now() - written.at < 10_000
    ? `+${written.local + written.remote} written (${written.remote} from peers)`
    : ''
}

function renderSignals () {
  const items = state.signals.map(signal => {
    const item = el('li')
    item.dataset.signal = signal.id
    item.title = signal.chunks.join('\n')
    const nodes = signal.nodes.length
    item.append(
      el('span', 'topic', signal.topic),
      el('span', 'who', `${plural(signal.agents.length, 'agent')} on ${plural(nodes, 'node')} · score ${signal.score.toFixed(2)} · novelty ${signal.novelty.toFixed(2)} · ${ago(signal.raisedAt)}`)
    )
    return item
  })
  $('signals').replaceChildren(...items)
  $('signals-empty').hidden = items.length > 0
}

function runItem (run, active) {
  const item = el('li')
  item.dataset.state = run.state
  const arrow = run.role === 'caller' ? '→' : '←'
  item.append(
    el('span', 'agent', run.agent),
    el('span', 'peer', `${arrow} ${run.peer === state.self?.peerId ? 'this node' : short(run.peer)}`),
    el('span', `pill ${run.state}`, run.state)
  )
  const when = active
    ? `${duration(Date.now() - run.startedAt)} · ${plural(run.frames, 'frame')}`
    : `${duration((run.endedAt ?? run.startedAt) - run.startedAt)} · ${ago(run.endedAt)}`
  item.append(el('span', 'when', when))
  // why it did not end ok, on the page itself and whole on hover
  if (run.reason != null || run.error != null) {
    const why = el('span', 'reason', run.reason ?? run.error)
    why.title = [run.error, run.reason].filter(Boolean).join(': ')
    item.append(why)
  }
  return item
}

function renderRuns () {
  const active = state.runs.active.map(run => runItem(run, true))
  const recent = state.runs.recent.slice(0, RECENT_RUNS).map(run => runItem(run, false))
  $('runs-active').replaceChildren(...active)
  $('runs-recent').replaceChildren(...recent)
  $('runs-active-empty').hidden = active.length > 0
  $('runs-recent-empty').hidden = recent.length > 0
  const agents = state.agents.map(agent => {
    const item = el('li')
    item.append(
      el('span', 'agent', agent.name),
      el('span', 'peer', agent.self ? 'this node' : short(agent.host)),
      el('span', `pill ${agent.status}`, agent.status),
      el('span', 'slots', `${agent.freeSlots}/${agent.concurrency} free`)
    )
    // what it does, on a line of its own
    const about = agent.description || (agent.skills ?? []).join(', ')
    if (about) item.append(el('span', 'description', about))
    return item
  })
  $('agents').replaceChildren(...agents)
  $('agents-empty').hidden = agents.length > 0
  $('agents-count').textContent = state.agents.length > 0 ? plural(state.agents.length, 'agent') : ''
}

/* updates: at most one render a frame */

let scheduled = false

function render () {
  if (scheduled) return
  scheduled = true
  requestAnimationFrame(() => {
    scheduled = false
    renderGraph()
    renderSelf()
    renderPeers()
    renderBeats()
    renderMemory()
    renderSignals()
    renderRuns()
  })
}

function noteBeat (peer, fresh) {
  state.beats.unshift({ peerId: peer.peerId, seq: peer.seq, at: peer.lastSeen, rtt: peer.rtt, load: peer.load, status: peer.status, fresh })
  state.beats.length = Math.min(state.beats.length, FEED_LENGTH)
}

const runKey = run => `${run.role}|${run.agent}|${run.peer}|${run.callerAgent}|${run.startedAt}`

const handlers = {
  snapshot (snapshot) {
    state.self = snapshot.self
    state.peers = new Map(snapshot.peers.map(p => [p.peerId, p]))
    state.connections = new Map(snapshot.connections.map(c => [c.id, c]))
    state.memory = snapshot.memory
    state.signals = snapshot.signals ?? []
    state.agents = snapshot.agents
    state.runs = snapshot.runs
    state.snapshotAt = snapshot.at
    if (state.beats.length === 0) {
      // until beats arrive, the feed shows each peer's latest one
      for (const peer of [...snapshot.peers].sort((a, b) => a.lastSeen - b.lastSeen)) noteBeat(peer, false)
    }
  },
  heartbeat (peer) {
    state.peers.set(peer.peerId, { ...state.peers.get(peer.peerId), ...peer })
    noteBeat(peer, true)
    pulse(peer.peerId)
  },
  peer ({ peer }) {
    state.peers.set(peer.peerId, { ...state.peers.get(peer.peerId), ...peer })
  },
  connection ({ action, connection }) {
    if (action === 'open') state.connections.set(connection.id, connection)
    else state.connections.delete(connection.id)
  },
  run ({ action, run }) {
    const key = runKey(run)
    state.runs.active = state.runs.active.filter(r => runKey(r) !== key)
    if (action === 'start') state.runs.active.push(run)
    else state.runs.recent = [run, ...state.runs.recent].slice(0, 50)
  },
  memory ({ written, stats }) {
    state.memory = stats
    state.written = { ...written, at: Date.now() }
  },
  signal (signal) {
    state.signals = [signal, ...state.signals.filter(s => s.id !== signal.id)].slice(0, SIGNALS_SHOWN)
  }
}

function connect () {
  const stream = $('stream')
  const events = new EventSource('/v1/events')
  for (const [type, handle] of Object.entries(handlers)) {
    events.addEventListener(type, evt => {
      try {
        handle(JSON.parse(evt.data))
      } catch (err) {
        console.error(`could not apply a ${type} event`, err)
        return
      }
      render()
    })
  }
  events.addEventListener('open', () => {
    stream.dataset.state = 'live'
    stream.textContent = 'live'
  })
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) {
      // the server refused the stream (the sign-in cookie is missing or stale)
      stream.dataset.state = 'signed-out'
      stream.textContent = 'signed out: open /?token=… again'
    } else {
      stream.dataset.state = 'connecting'
      stream.textContent = 'reconnecting…'
    }
  })
}

createGraph()
// the snapshot the page was served with: painted at once, the event stream takes over from it
const served = document.getElementById('snapshot')
if (served != null) {
  try {
    handlers.snapshot(JSON.parse(served.textContent))
    $('stream').dataset.state = 'snapshot'
    $('stream').textContent = 'snapshot, connecting…'
    render()
  } catch (err) {
    console.error('could not read the snapshot the page came with', err)
  }
}
connect()
// relative times move on between events
setInterval(render, 1000)
