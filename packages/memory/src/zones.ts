/** Zone names as written in config, the CLI and the API */
export type ZoneName = 'private' | 'shared' | 'federation'

export const ZONE_NAMES: readonly ZoneName[] = ['private', 'shared', 'federation']
