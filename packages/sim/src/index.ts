/**
 * @packageDocumentation
 *
 * `overmind sim`: a scenario (nodes, topology, workload, faults on a
 * schedule, expectations) run on a mesh of real nodes, with a report of
 * delivery, convergence and the links the mesh ended with (direct or
 * through a relay, for homes behind NAT). The schedule comes from the scenario's seed, so
 * a run can be repeated exactly.
 */
export { parseScenario, loadScenario, scenarioSchema, scenarioJsonSchema, EXPECTABLE } from './scenario.js'
export type { Scenario, Fault, ScenarioOverrides } from './scenario.js'
export { schedule, random } from './schedule.js'
export type { Schedule, SimEvent } from './schedule.js'
export { runScenario, holds } from './run.js'
export type { SimReport, SimProgress, RunScenarioOptions } from './run.js'
export { meshTopology, topologyIssues, topologyGater, linkReport, describeTopology, applyRole } from './topology.js'
export type { MeshTopology, NodeRole, TopologySpec, TopologyIssue, LinkReport, OpenConnection } from './topology.js'
