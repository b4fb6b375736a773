import { createRunner } from '@overmind/agents'
import type { AgentFunction, HostedAgent, TaskBoard } from '@overmind/agents'
import type { OvermindConfig } from '@overmind/config'

export interface HostedAgentContext {
  /** Folder relative agent working directories are resolved against */
  dataDir?: string
  /** In-process agent functions by name, for `runner: builtin` */
  agentFunctions?: Record<string, AgentFunction>
  /** Where the runs of `runner: session` agents wait for workers */
  tasks?: TaskBoard
}

/** An agent entry of the config, with its runner, as the node hosts it */
export function hostedAgent (agent: OvermindConfig['agents'][number], context: HostedAgentContext = {}): HostedAgent {
  return {
    name: agent.name,
    runner: createRunner(agent, { dataDir: context.dataDir, functions: context.agentFunctions, tasks: context.tasks }),
    expose: agent.expose,
    concurrency: agent.concurrency,
    timeout: agent.timeout,
    version: agent.version,
    capabilities: agent.capabilities,
    description: agent.description,
    skills: agent.skills
  }
}

/** The agents a config declares, each with its runner */
export function hostedAgents (config: OvermindConfig, context: HostedAgentContext = {}): HostedAgent[] {
  return config.agents.map(agent => hostedAgent(agent, context))
}
