import type { ProjectOption } from '../lib/useProjects';
import { SelectField, TextField } from './Field';

/**
 * The project filter of a history table: the org's projects by name, or, until GET /v1/projects has
 * answered (or if it failed), the id typed in, so the filter works either way.
 */
export function ProjectFilter({
  projects,
  value,
  onChange,
}: {
  projects: ProjectOption[] | null;
  value: string;
  onChange: (projectId: string) => void;
}) {
  if (!projects) {
    return (
      <TextField
        label="Project ID"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="prj_…"
      />
    );
  }
  return (
    <SelectField
      label="Project"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      options={[
        { value: '', label: 'All projects' },
        ...projects.map((p) => ({ value: p.id, label: p.name })),
      ]}
    />
  );
}
