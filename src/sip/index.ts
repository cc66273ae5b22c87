/**
 * The SIP layer's public face: the gateway factory main wires, and the pure
 * helpers (peers, identification, responses) other tools may reuse.
 */
export { createSipGateway, type SipGateway, type SipGatewayOptions, type CallControlPort } from './gateway.js';
export { createPeerTable, requestUriFor, PeerConfigError, type PeerTable } from './peers.js';
export { userPart, callerNumber, BadInviteError } from './identify.js';
export { rejection, byeReason } from './responses.js';
