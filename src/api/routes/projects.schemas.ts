import { Type, type Static } from 'typebox';
import type { ProjectView } from '../../orgs/projects';
import { closed, dateTime, type Assignable } from '../schemas';

/** The schemas of GET /v1/projects (src/api/routes/projects.ts). */

export const projectSchema = closed({ id: Type.String(), name: Type.String(), createdAt: dateTime() });

export const projectListSchema = closed({ data: Type.Array(projectSchema) });

type _ProjectSchemaFitsDomain = Assignable<Static<typeof projectSchema>, ProjectView>;
type _ProjectDomainFitsSchema = Assignable<ProjectView, Static<typeof projectSchema>>;
