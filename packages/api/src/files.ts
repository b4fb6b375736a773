/** Written by a running node in its data dir: where its local API listens (an `ApiState`) */
export const API_STATE_FILE = 'api.json'
