// The worker's workflow bundle: every workflow type, and nothing that does I/O.
export { generationWorkflow } from './generation';
export { creditPackPurchaseWorkflow } from './credit-pack';
