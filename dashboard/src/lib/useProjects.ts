import { get } from '../api/client';
import type { ProjectList } from '../api/types';
import { useResource } from './useResource';

export type ProjectOption = ProjectList['data'][number];

export interface Projects {
  /** The org's projects once GET /v1/projects answered; null while loading or after a failure. */
  list: ProjectOption[] | null;
  /** A project's name, or its id when the list is not there (a table still reads without names). */
  nameOf: (projectId: string) => string;
}

/** The org's projects (GET /v1/projects), to show names where the API's rows carry a projectId. */
export function useProjects(): Projects {
  const projects = useResource((signal) => get<ProjectList>('/v1/projects', signal), 'projects');
  const list = projects.status === 'ready' ? projects.data.data : null;
  const names = new Map(list?.map((p) => [p.id, p.name]));
  return { list, nameOf: (projectId) => names.get(projectId) ?? projectId };
}
