/**
 * The Kamailio front: the call-control API a SIP platform calls (/v1/control
 * over HTTP, or Kamailio's evapi socket) and ending dialogs through Kamailio's
 * JSON-RPC. No money logic.
 */
import type { FastifyPluginAsync } from 'fastify';
import { controlRoutes } from './control-routes.js';
import type { ControlFront } from './control-front.js';

export { createControlFront, type ControlFront, type PlatformSetup, type PlatformDecision } from './control-front.js';
export { parseKamailioWire, wireKind, type KamailioWire } from './wire.js';
export { callRpc, endDialog, KamailioRpcError } from './json-rpc.js';
export { startEvapiFront, type EvapiFront } from './evapi-front.js';

/** The /v1/control routes as one plugin for the HTTP app, guarded by the control token. */
export function controlApiPlugin(front: ControlFront, token: string): FastifyPluginAsync {
  return async (app) => {
    await app.register(controlRoutes, { front, token });
  };
}
