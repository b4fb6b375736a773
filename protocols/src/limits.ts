/** Largest encoded heartbeat a receiver accepts, in bytes */
export const MAX_HEARTBEAT_SIZE = 8 * 1024

/** Longest string field (name, version, capability, mesh) in bytes */
export const MAX_STRING_LENGTH = 256

/** Repeated-field limits passed to `Heartbeat.decode` */
export const HEARTBEAT_LIMITS = {
  addresses: 32,
  links: 32,
  stun: 4,
  agents: 256,
  agents$: {
    capabilities: 32,
    skills: 16
  }
}

/** Most beats in one answer to a peers pull, and its largest size in bytes */
export const MAX_PEER_BEATS = 1024
export const MAX_PEER_BEATS_SIZE = 1024 * 1024

/** Repeated-field limits passed to `PeerBeats.decode` */
export const PEER_BEATS_LIMITS = {
  beats: MAX_PEER_BEATS
}

/** Longest chunk text in UTF-8 bytes */
export const MAX_TEXT_LENGTH = 32 * 1024

/** Most tags on a chunk, and the longest tag in bytes */
export const MAX_TAGS = 32
export const MAX_TAG_LENGTH = 64

/** Most dimensions of an embedding vector */
export const MAX_DIMENSIONS = 4096

/** Largest signed body of a chunk or an event, in bytes */
export const MAX_ENTRY_BODY_SIZE = 64 * 1024

/** Largest encoded SignedEntry (a knowledge topic message), in bytes */
export const MAX_ENTRY_SIZE = MAX_ENTRY_BODY_SIZE + 256

/** Most entries in one knowledge topic message, and its largest size in bytes */
export const MAX_KNOWLEDGE_ENTRIES = 512
export const MAX_KNOWLEDGE_MESSAGE_SIZE = 1024 * 1024

/** Repeated-field limits passed to `KnowledgeBatch.decode` */
export const KNOWLEDGE_BATCH_LIMITS = { entries: MAX_KNOWLEDGE_ENTRIES }

/** Most targets of one event */
export const MAX_EVENT_TARGETS = 64

/** Most uses one USE event records of each target */
export const MAX_EVENT_USES = 1_000_000

/** A link's weight, in thousandths: 1000 is a full link */
export const MAX_LINK_WEIGHT = 1000

/** A signal's score and novelty, in thousandths: 1000 is 1 */
export const MAX_SIGNAL_FRACTION = 1000

/** Largest memory-sync message (a request or a page), in bytes */
export const MAX_SYNC_MESSAGE_SIZE = 2 * 1024 * 1024

/** Most entries in one sync page, and most version entries in one request */
export const MAX_SYNC_PAGE_ENTRIES = 512
export const MAX_VERSION_ENTRIES = 100_000

/** Largest memory-query request and response, in bytes */
export const MAX_QUERY_REQUEST_SIZE = 64 * 1024
export const MAX_QUERY_RESPONSE_SIZE = 4 * 1024 * 1024

/**
 * Longest search text in UTF-8 bytes, in a memory-query and on the local API:
 * a query is a question, not a document, and the cost of embedding it grows
 * with its length
 */
export const MAX_QUERY_TEXT_LENGTH = 4 * 1024

/** Most results a memory-query may ask for (a federated search asks each peer for at most this many) */
export const MAX_QUERY_K = 100

/** Most results of a search of this node's own memory */
export const MAX_SEARCH_K = 1000

/** Repeated-field limits passed to `Chunk.decode` */
export const CHUNK_LIMITS = { tags: MAX_TAGS }

/** Repeated-field limits passed to `Event.decode` */
export const EVENT_LIMITS = { targets: MAX_EVENT_TARGETS }

/** Repeated-field limits passed to `SyncRequest.decode` */
export const SYNC_REQUEST_LIMITS = { have: MAX_VERSION_ENTRIES }

/** Repeated-field limits passed to `SyncPage.decode` */
export const SYNC_PAGE_LIMITS = { entries: MAX_SYNC_PAGE_ENTRIES }

/** Repeated-field limits passed to `QueryRequest.decode` and `QueryResponse.decode` */
export const QUERY_REQUEST_LIMITS = { tags: MAX_TAGS, authors: 256 }
export const QUERY_RESPONSE_LIMITS = { results: MAX_QUERY_K }

/** Largest input of a run, in bytes */
export const MAX_RUN_INPUT_SIZE = 1024 * 1024

/** Largest run-agent request or cancel message, in bytes */
export const MAX_RUN_REQUEST_SIZE = MAX_RUN_INPUT_SIZE + 1024

/** Largest data of one output frame, in bytes (hosts split longer output) */
export const MAX_RUN_FRAME_DATA = 64 * 1024

/** Largest run-agent message from a host, in bytes */
export const MAX_RUN_MESSAGE_SIZE = MAX_RUN_FRAME_DATA + 4 * 1024

/** Longest run a caller may ask for, in ms */
export const MAX_RUN_TIMEOUT = 24 * 60 * 60 * 1000

/** Length of a run's request id, in bytes */
export const RUN_REQUEST_ID_LENGTH = 16

/** Longest `RunRequest.key`, in bytes */
export const MAX_RUN_KEY_LENGTH = 128

/** Longest `RunProgress.message`, in bytes */
export const MAX_RUN_PROGRESS_LENGTH = 1024

/** Largest invite ticket, redeem request or admission, in bytes */
export const MAX_INVITE_SIZE = 8 * 1024

/** Repeated-field limits of `Ticket.decode` and `Admission.decode` */
export const TICKET_LIMITS = { addresses: 16 }
export const ADMISSION_LIMITS = { bootstrap: 16 }

/** Chunks an agent package carries, at most */
export const MAX_PACKAGE_CHUNKS = 100

/** Chunks in one page of a delegation's return, at most */
export const MAX_RETURN_PAGE = 64

/** Chunks one delegation's return may bring home, at most */
export const MAX_RETURN_CHUNKS = 10_000

/** Largest message of /overmind/agent-delegate/1.0.0, in bytes: a package of 100 chunks of 32 KiB, or a page of 64 */
export const MAX_DELEGATE_MESSAGE_SIZE = 4 * 1024 * 1024

/** Longest delegation, in ms */
export const MAX_DELEGATION = 7 * 24 * 60 * 60 * 1000

/** Decoding limits of an agent package and of the delegation messages */
export const AGENT_PACKAGE_LIMITS = {
  memory: MAX_PACKAGE_CHUNKS,
  memory$: { tags: MAX_TAGS },
  agent: { command: 64, env: 64, capabilities: 32, skills: 16 }
}
export const DELEGATE_MESSAGE_LIMITS = { returned: { memory: MAX_RETURN_PAGE, memory$: { tags: MAX_TAGS } } }
