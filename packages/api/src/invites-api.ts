import { parseDuration } from '@overmind/config/duration'
import { readJson } from './api-routes.js'
import { BadRequestError, InviteNotFoundError } from './errors.js'
import type { ApiContext, Route } from './api-routes.js'

/**
 * The invite routes of the local API (a daemon's node only):
 *
 * - `POST /v1/invites` `{expires?: "24h" | ms, uses?: 1}` → the new invite with its `ticket`
 * - `GET /v1/invites` → the invites that can still be redeemed (never their secrets)
 * - `DELETE /v1/invites/:id` → ends one at once
 */
export function inviteRoutes ({ invites, maxBody }: ApiContext): Array<[string, Route]> {
  if (invites == null) return []
  return [
    ['POST /v1/invites', async (req) => {
      const body = await readJson(req, maxBody)
      let expiresInMs: number | undefined
      if (body.expires != null) {
        try {
          expiresInMs = parseDuration(body.expires)
        } catch (err: any) {
          throw new BadRequestError(`expires: ${err.message}`)
        }
      }
      if (body.uses != null && typeof body.uses !== 'number') throw new BadRequestError(`uses: expected a whole number, got ${JSON.stringify(body.uses)}`)
      return await invites.create({ expiresInMs, uses: body.uses })
    }],
    ['GET /v1/invites', () => ({ invites: invites.list() })],
    ['DELETE /v1/invites/:id', async (_req, _res, _url, params) => {
      if (!(await invites.revoke(params.id))) throw new InviteNotFoundError(`this node has no live invite ${params.id}`)
      return { revoked: params.id }
    }]
  ]
}
