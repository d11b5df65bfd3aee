// The worker's workflow bundle: every workflow type, and nothing that does I/O.
export { generationLifecycle, generationWorkflow } from './generations';
export { creditPackPurchaseWorkflow } from './credit-packs';
export { orgBillingWorkflow } from './billing';
export { walletWorkflow } from './wallet';
