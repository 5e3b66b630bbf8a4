export { type ApiServer, type ApiServerOptions, type StartApiOptions, type StartedApi, createApiServer, startApi, defaultStaticDir } from "./server.js";
export { type PriceProvider, type PriceSource, type Mark, LastKnownPrices, Marker } from "./prices.js";
export { type HubEvent, type SequencedEvent, type Replay, type StreamFilter, EventHub, matches, modelOf } from "./event-hub.js";
export { type ApiErrorBody, HttpError, toErrorResponse } from "./errors.js";
export { type LocalWorkerHealth, downsample } from "./read-model.js";
export { MAX_PAGE_SIZE, MAX_INVOCATION_PAGE_SIZE, MAX_EQUITY_POINTS, MAX_POSITIONS, WINDOWS, type WindowName } from "./schemas.js";
