import { Command } from 'commander'
import { dataDirOption, jsonOption } from '../options.js'

export function initCommand (): Command {
  return new Command('init')
    .description('create a data dir: node identity (Ed25519), mesh key, API token and a commented overmind.config.yaml')
    .addOption(dataDirOption())
    .option('-m, --mesh <name>', 'name of the mesh to join or create', 'overmind')
    .option('-k, --mesh-key-file <file>', 'join an existing mesh: copy its key from this file instead of generating a new one')
    .addOption(jsonOption())
    .addHelpText('after', `
Files written to the data dir (secrets with mode 0600):
  peer.key               the node's private key: its peer id stays the same across restarts
  mesh.key               the mesh's pre-shared key: only nodes holding it can connect
  api.token              bearer token of the node's local API
  overmind.config.yaml   every setting with its default, commented

Examples:
  $ overmind init --data-dir ./node-1 --mesh lab
  $ overmind init --data-dir ./node-2 --mesh lab --mesh-key-file ./node-1/mesh.key`)
    .action(async (opts: { dataDir: string, mesh: string, meshKeyFile?: string, json?: boolean }) => {
      const { initDataDir } = await import('@overmind/node')
      const result = await initDataDir(opts.dataDir, { mesh: opts.mesh, meshKeyFile: opts.meshKeyFile })
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n')
        return
      }
      process.stdout.write([
        `initialised ${result.dataDir}`,
        `  peer id   ${result.peerId}`,
        `  mesh      ${result.mesh} (key ${result.importedMeshKey ? 'imported' : 'generated'}: ${result.meshKeyFile})`,
        `  config    ${result.configFile}`,
        '',
        `Share ${result.meshKeyFile} only with the nodes that may join the mesh.`,
        `Start the node with: overmind start --data-dir ${opts.dataDir}`,
        ''
      ].join('\n'))
    })
}
