/** Workflow ids are business ids, built only here: starting the same generation twice finds one workflow. */
export const generationWorkflowId = (orgId: string, generationId: string): string =>
  `generation:${orgId}:${generationId}`;
