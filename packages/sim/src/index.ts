/**
 * @packageDocumentation
 *
 * `overmind sim`: a scenario (nodes, topology, mock agents, a workload of
 * writes, runs and searches, faults on a schedule, expectations) run on a
 * mesh of real nodes, with a report of delivery, convergence, runs,
 * searches, the links the mesh ended with (direct or through a relay, for
 * homes behind NAT) and what it cost (a timeline sampled once a second), as
 * rows for a table or a self-contained HTML page with charts. The schedule
 * comes from the scenario's seed, so a run can be repeated exactly.
 */
export { parseScenario, loadScenario, scenarioSchema, scenarioJsonSchema, EXPECTABLE } from './scenario.js'
export type { Scenario, Fault, SimAgent, ScenarioOverrides } from './scenario.js'
export { schedule, random } from './schedule.js'
export type { Schedule, SimEvent, RunEvent, SearchEvent } from './schedule.js'
export { mockAgent, mockRun } from './agents.js'
export type { MockRun } from './agents.js'
export { RUN_CAUSES, runCause } from './causes.js'
export type { RunCause } from './causes.js'
export type { RunsReport, SearchesReport, RemoteNode } from './workload.js'
export { runScenario, holds } from './run.js'
export { floorReport, FLOOR_TOPIC } from './floor.js'
export type { FloorReport } from './floor.js'
export type { SimReport, SimProgress, RunScenarioOptions } from './run.js'
export { meshTopology, topologyIssues, topologyGater, linkReport, describeTopology, applyRole } from './topology.js'
export type { MeshTopology, NodeRole, TopologySpec, TopologyIssue, LinkReport, OpenConnection } from './topology.js'
export type { TimelineSample, SimResources, NodeResources, AppliedFault, LatencyBucket } from './timeline.js'
export { DELIVERY_POLL_MS } from './processes.js'
export { NetnsNetwork, netnsUnavailable, netemUnavailable } from './netns.js'
export type { NetnsNode, ControlPort } from './netns.js'
export { LinkShaper, RETRANSMIT_MS } from './links.js'
export type { LinkShape } from './links.js'
export { reportRows, expectationRows, formatMs } from './figures.js'
export { renderHtml } from './html.js'
