import { Command } from 'commander'
import { dataDirOption, jsonOption, parseDurationArg, parsePositiveInt } from '../options.js'
import { table } from '../format.js'
import type { InitResult, JoinResult } from '@overmind/node'

interface InitOptions { dataDir: string, mesh: string, meshKeyFile?: string, join?: string, name?: string, json?: boolean }

export function initCommand (): Command {
  return new Command('init')
    .description('create a data dir: node identity (Ed25519), mesh key, API token and a commented overmind.config.yaml')
    .addOption(dataDirOption())
    .option('-m, --mesh <name>', 'name of the mesh to join or create', 'overmind')
    .option('-k, --mesh-key-file <file>', 'join an existing mesh: copy its key from this file instead of generating a new one')
    .option('-j, --join <invite>', 'join the mesh of an invite (`overmind invite` on a member prints one): takes the mesh name, key and addresses from it')
    .option('-n, --name <name>', 'name shown for this node in peers, status and logs (default: the host name)')
    .addOption(jsonOption())
    .addHelpText('after', `
Files written to the data dir (secrets with mode 0600):
  peer.key               the node's private key: its peer id stays the same across restarts
  mesh.key               the mesh's pre-shared key: only nodes holding it can connect
  api.token              bearer token of the node's local API
  overmind.config.yaml   every setting with its default, commented

Examples:
  $ overmind init --data-dir ./node-1 --mesh lab
  $ overmind init --data-dir ./node-2 --join overmind-invite-…
  $ overmind init --data-dir ./node-2 --mesh lab --mesh-key-file ./node-1/mesh.key`)
    .action(async (opts: InitOptions) => {
      if (opts.join != null) {
        await join(opts.dataDir, opts.join, opts)
        return
      }
      const { initDataDir } = await import('@overmind/node/data-dir')
      const result = await initDataDir(opts.dataDir, { mesh: opts.mesh, meshKeyFile: opts.meshKeyFile, name: opts.name })
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n')
        return
      }
      process.stdout.write([
        ...describe(result),
        '',
        `Share ${result.meshKeyFile} only with the nodes that may join the mesh,`,
        'or start this node and hand out invites: overmind invite --data-dir ' + opts.dataDir,
        `Start the node with: overmind start --data-dir ${opts.dataDir}`,
        ''
      ].join('\n'))
    })
}

function describe (result: InitResult): string[] {
  return [
    `initialised ${result.dataDir}`,
    `  peer id   ${result.peerId}`,
    `  mesh      ${result.mesh} (key ${result.importedMeshKey ? 'imported' : 'generated'}: ${result.meshKeyFile})`,
    `  config    ${result.configFile}`
  ]
}

async function join (dataDir: string, ticket: string, opts: { name?: string, json?: boolean }): Promise<void> {
  const { joinMesh } = await import('@overmind/node')
  const result: JoinResult = await joinMesh(dataDir, ticket, { name: opts.name })
  if (opts.json === true) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    return
  }
  process.stdout.write([
    ...describe(result),
    `  joins     through ${result.bootstrap.length} address${result.bootstrap.length === 1 ? '' : 'es'} of the inviting node (config: bootstrap)`,
    ...result.bootstrap.map(a => `              ${a}`),
    '',
    `Start the node with: overmind start --data-dir ${dataDir}`,
    ''
  ].join('\n'))
}

export function joinCommand (): Command {
  return new Command('join')
    .description('create a data dir that joins the mesh of an invite (the same as `init --join`)')
    .argument('<invite>', 'the invite a member printed with `overmind invite`')
    .addOption(dataDirOption())
    .option('-n, --name <name>', 'name shown for this node in peers, status and logs (default: the host name)')
    .addOption(jsonOption())
    .addHelpText('after', `
The invite is redeemed at the node that made it, which must be running and
reachable from here: it hands over the mesh name, the mesh key and its own
addresses, and counts one use. An expired, used-up or revoked invite, or a
damaged copy, is refused with the reason, and nothing is written.

Example:
  $ overmind join --data-dir ./node-2 overmind-invite-…
  $ overmind start --data-dir ./node-2`)
    .action(async (ticket: string, opts: { dataDir: string, name?: string, json?: boolean }) => {
      await join(opts.dataDir, ticket, opts)
    })
}

export function inviteCommand (): Command {
  return new Command('invite')
    .description('make an invite to the mesh on the running node: one string that lets another machine join (`overmind join`)')
    .addOption(dataDirOption())
    .option('-e, --expires <duration>', 'how long the invite can be redeemed, up to 30 days (default 24h)', parseDurationArg)
    .option('-u, --uses <n>', 'how many nodes may join with it (default 1)', parsePositiveInt)
    .option('--list', 'show the invites that can still be redeemed, and who joined with them')
    .option('--revoke <id>', 'end an invite at once')
    .addOption(jsonOption())
    .addHelpText('after', `
The invite holds the address of a door the node opens for it and the door's
secret, not the mesh key: the door hands the key over while the invite is
valid, then closes. Treat an invite as a secret until it is used up or has
expired.

Examples:
  $ overmind invite --data-dir ./node-1 --expires 1h --uses 3
  $ overmind invite --data-dir ./node-1 --list
  $ overmind invite --data-dir ./node-1 --revoke 54e2f76f93c561c9de85879673da466c`)
    .action(async (opts: { dataDir: string, expires?: number, uses?: number, list?: boolean, revoke?: string, json?: boolean }) => {
      const { ApiClient } = await import('@overmind/node/client')
      const client = await ApiClient.forDataDir(opts.dataDir)
      if (opts.revoke != null) {
        await client.delete(`/v1/invites/${encodeURIComponent(opts.revoke)}`)
        process.stdout.write(opts.json === true ? JSON.stringify({ revoked: opts.revoke }) + '\n' : `revoked ${opts.revoke}\n`)
        return
      }
      if (opts.list === true) {
        const { invites } = await client.get<{ invites: Array<{ id: string, expiresAt: number, usesLeft: number, redeemed: Array<{ peerId: string, name: string }> }> }>('/v1/invites')
        if (opts.json === true) {
          process.stdout.write(JSON.stringify(invites, null, 2) + '\n')
        } else if (invites.length === 0) {
          process.stdout.write('no live invites\n')
        } else {
          process.stdout.write(table(['INVITE', 'USES LEFT', 'EXPIRES', 'JOINED'], invites.map(i => [
            i.id, String(i.usesLeft), new Date(i.expiresAt).toISOString(), i.redeemed.map(r => r.name !== '' ? r.name : r.peerId).join(', ') || '-'
          ])) + '\n')
        }
        return
      }
      const invite = await client.post<{ id: string, ticket: string, expiresAt: number, usesLeft: number, door: string[] }>('/v1/invites', { expires: opts.expires, uses: opts.uses })
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(invite, null, 2) + '\n')
        return
      }
      process.stdout.write(invite.ticket + '\n')
      process.stderr.write(`invite ${invite.id}: ${invite.usesLeft} use${invite.usesLeft === 1 ? '' : 's'}, until ${new Date(invite.expiresAt).toISOString()}\n` +
        'on the joining machine: overmind join <the invite above>\n')
    })
}
