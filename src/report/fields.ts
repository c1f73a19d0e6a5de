// Constants of the view model that the browser code shares (kept free of Node imports: the
// viewer bundle includes this file).

export const FRAME_KINDS = ['user', 'kthread', 'worker', 'softirq', 'hardirq', 'nmi', 'exception'] as const;

/**
 * Fields per span in RunView.spans: cpu, start, end, depth, kind (FRAME_KINDS index), context and
 * owner (contexts indices; the owner of a #PF frame is the context that faulted).
 */
export const SPAN_FIELDS = 7;
/**
 * Fields per band in RunView.bands: cpu, key index (RunView.keys), start, end, state
 * (KEY_STATES index), scope (SCOPES index: whose open key it is).
 */
export const BAND_FIELDS = 6;

/**
 * What an open key band means: the context's own mapping or grant (`own`), or unscoped, by
 * reason. A closed band has no scope (''). `unscoped` alone: open with no reason the events name.
 */
export const SCOPES = ['', 'own', 'pardon', 'global', 'abandoned', 'leaked-grant', 'unscoped'] as const;
export type Scope = (typeof SCOPES)[number];
