import express from 'express';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxContext, SandboxService } from '../types';

export interface AsanaSandboxOptions {
  /** The token the portal must send; default `asana-sandbox-token`. */
  token?: string;
}

/** The gids the sandbox's release-management project uses (app-config points at these). */
export const asanaSandboxDefaults = {
  token: 'asana-sandbox-token',
  workspaceGid: '1200000000000001',
  projectGid: '1200000000000010',
  sectionGid: '1200000000000011',
  doneSectionGid: '1200000000000012',
  fields: {
    grade: '1200000000000020',
    buildNumber: '1200000000000030',
    dbUpdate: '1200000000000040',
  },
  userGid: '1200000000000100',
};

interface EnumOption {
  gid: string;
  name: string;
  color: string;
}

interface CustomField {
  gid: string;
  name: string;
  subtype: 'enum' | 'text';
  options?: EnumOption[];
}

interface Task {
  gid: string;
  name: string;
  notes: string;
  completed: boolean;
  completedAt: string | null;
  createdAt: string;
  modifiedAt: string;
  projects: string[];
  section?: string;
  values: Record<string, string | null>;
  stories: Array<{ gid: string; text: string; createdAt: string }>;
}

interface State {
  seq: number;
  tasks: Task[];
}

class AsanaError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const d = asanaSandboxDefaults;

const fields: CustomField[] = [
  {
    gid: d.fields.grade,
    name: '배포등급',
    subtype: 'enum',
    options: [
      ['A', '매우 낮음', 'green'],
      ['B', '낮음', 'blue'],
      ['C', '중간', 'yellow'],
      ['D', '높음', 'orange'],
      ['E', '특수', 'red'],
    ].map(([grade, label, color], i) => ({
      gid: `12000000000000${21 + i}`,
      name: `${grade}(${label})`,
      color,
    })),
  },
  { gid: d.fields.buildNumber, name: '빌드번호', subtype: 'text' },
  {
    gid: d.fields.dbUpdate,
    name: 'DB 업데이트 여부',
    subtype: 'enum',
    options: [
      { gid: '1200000000000041', name: 'Y', color: 'red' },
      { gid: '1200000000000042', name: 'N', color: 'none' },
    ],
  },
];

const project = {
  gid: d.projectGid,
  name: '릴리즈 관리',
  sections: [
    { gid: d.sectionGid, name: 'Releases' },
    { gid: d.doneSectionGid, name: 'Done' },
  ],
};

const compact = (resourceType: string, gid: string, name: string) => ({
  gid,
  resource_type: resourceType,
  name,
});

function fieldJson(field: CustomField) {
  return {
    ...compact('custom_field', field.gid, field.name),
    resource_subtype: field.subtype,
    type: field.subtype,
    ...(field.options
      ? {
          enum_options: field.options.map(o => ({
            ...compact('enum_option', o.gid, o.name),
            enabled: true,
            color: o.color,
          })),
        }
      : {}),
  };
}

/**
 * A stand-in for the Asana REST API under `/asana/api/1.0`: one release-management project with the
 * grade / build number / DB update custom fields, tasks with their custom field values, sections
 * and comments (stories). Answers in Asana's `{ data }` / `{ errors: [{ message }] }` shapes.
 */
export function createAsanaService(
  options: AsanaSandboxOptions = {},
): (ctx: SandboxContext) => SandboxService {
  return ctx => {
    const token = options.token ?? d.token;
    const file = join(ctx.dataDir, 'asana.json');
    const state: State = existsSync(file)
      ? JSON.parse(readFileSync(file, 'utf8'))
      : { seq: 0, tasks: [] };
    const save = () => writeFileSync(file, JSON.stringify(state));
    const nextGid = (prefix: string) => {
      state.seq += 1;
      return `${prefix}${String(state.seq).padStart(10, '0')}`;
    };

    const findTask = (gid: string) => {
      const task = state.tasks.find(t => t.gid === gid);
      if (!task) throw new AsanaError(404, 'task: Not Found');
      return task;
    };

    const taskJson = (task: Task) => ({
      ...compact('task', task.gid, task.name),
      resource_subtype: 'default_task',
      notes: task.notes,
      completed: task.completed,
      completed_at: task.completedAt,
      created_at: task.createdAt,
      modified_at: task.modifiedAt,
      workspace: compact('workspace', d.workspaceGid, 'kop'),
      projects: task.projects.map(p => compact('project', p, project.name)),
      memberships: task.projects.map(p => ({
        project: compact('project', p, project.name),
        ...(task.section
          ? {
              section: compact(
                'section',
                task.section,
                project.sections.find(s => s.gid === task.section)?.name ?? '',
              ),
            }
          : {}),
      })),
      custom_fields: fields.map(f => {
        const value = task.values[f.gid] ?? null;
        const option = f.options?.find(o => o.gid === value);
        return {
          ...fieldJson(f),
          ...(f.subtype === 'enum'
            ? {
                enum_value: option
                  ? {
                      ...compact('enum_option', option.gid, option.name),
                      enabled: true,
                      color: option.color,
                    }
                  : null,
              }
            : { text_value: value }),
          display_value: option ? option.name : value,
        };
      }),
      permalink_url: `https://app.asana.com/0/${d.projectGid}/${task.gid}`,
    });

    function applyValues(task: Task, values: unknown) {
      if (values === undefined) return;
      if (typeof values !== 'object' || values === null) {
        throw new AsanaError(400, 'custom_fields: Not an object');
      }
      for (const [gid, value] of Object.entries(values)) {
        const field = fields.find(f => f.gid === gid);
        if (!field || !task.projects.includes(d.projectGid)) {
          throw new AsanaError(
            400,
            `custom_fields: Custom field with ID ${gid} is not on given object`,
          );
        }
        if (value === null) {
          task.values[gid] = null;
        } else if (field.subtype === 'enum') {
          if (!field.options!.some(o => o.gid === value)) {
            throw new AsanaError(
              400,
              `custom_fields: enum_value ${String(value)} is not an option of ${
                field.name
              }`,
            );
          }
          task.values[gid] = String(value);
        } else {
          if (typeof value !== 'string') {
            throw new AsanaError(
              400,
              `custom_fields: ${field.name} takes text`,
            );
          }
          task.values[gid] = value;
        }
      }
    }

    const body = (req: express.Request) => {
      const data = req.body?.data;
      if (!data || typeof data !== 'object') {
        throw new AsanaError(400, 'data: Missing input');
      }
      return data as Record<string, unknown>;
    };

    const router = express.Router();
    router.use((req, res, next) => {
      if (req.get('authorization') !== `Bearer ${token}`) {
        res.status(401).json({ errors: [{ message: 'Not Authorized' }] });
        return;
      }
      next();
    });

    const route =
      (fn: (req: express.Request) => { status?: number; json: unknown }) =>
      (req: express.Request, res: express.Response) => {
        try {
          const { status, json } = fn(req);
          res.status(status ?? 200).json(json);
        } catch (e) {
          const status = e instanceof AsanaError ? e.status : 500;
          res
            .status(status)
            .json({ errors: [{ message: (e as Error).message }] });
        }
      };

    const needProject = (gid: string) => {
      if (gid !== d.projectGid) throw new AsanaError(404, 'project: Not Found');
    };

    router.get(
      '/users/me',
      route(() => ({
        json: {
          data: {
            ...compact('user', d.userGid, 'kop release bot'),
            email: 'release-bot@kop.example',
            workspaces: [compact('workspace', d.workspaceGid, 'kop')],
          },
        },
      })),
    );

    router.get(
      '/projects/:gid',
      route(req => {
        needProject(req.params.gid);
        return {
          json: {
            data: {
              ...compact('project', project.gid, project.name),
              archived: false,
              workspace: compact('workspace', d.workspaceGid, 'kop'),
              custom_field_settings: fields.map(f => ({
                gid: `${f.gid}9`,
                resource_type: 'custom_field_setting',
                custom_field: fieldJson(f),
              })),
            },
          },
        };
      }),
    );

    router.get(
      '/projects/:gid/custom_field_settings',
      route(req => {
        needProject(req.params.gid);
        return {
          json: {
            data: fields.map(f => ({
              gid: `${f.gid}9`,
              resource_type: 'custom_field_setting',
              is_important: true,
              project: compact('project', project.gid, project.name),
              custom_field: fieldJson(f),
            })),
            next_page: null,
          },
        };
      }),
    );

    router.get(
      '/projects/:gid/sections',
      route(req => {
        needProject(req.params.gid);
        return {
          json: {
            data: project.sections.map(s => compact('section', s.gid, s.name)),
            next_page: null,
          },
        };
      }),
    );

    router.get(
      '/projects/:gid/tasks',
      route(req => {
        needProject(req.params.gid);
        return {
          json: {
            data: state.tasks
              .filter(t => t.projects.includes(req.params.gid))
              .map(t => compact('task', t.gid, t.name)),
            next_page: null,
          },
        };
      }),
    );

    router.get(
      '/sections/:gid',
      route(req => {
        const section = project.sections.find(s => s.gid === req.params.gid);
        if (!section) throw new AsanaError(404, 'section: Not Found');
        return {
          json: {
            data: {
              ...compact('section', section.gid, section.name),
              project: compact('project', project.gid, project.name),
            },
          },
        };
      }),
    );

    router.post(
      '/sections/:gid/addTask',
      route(req => {
        const section = project.sections.find(s => s.gid === req.params.gid);
        if (!section) throw new AsanaError(404, 'section: Not Found');
        const task = findTask(String(body(req).task ?? ''));
        if (!task.projects.includes(project.gid)) {
          throw new AsanaError(400, 'task: Not in the section’s project');
        }
        task.section = section.gid;
        task.modifiedAt = new Date().toISOString();
        save();
        return { json: { data: {} } };
      }),
    );

    router.post(
      '/tasks',
      route(req => {
        const data = body(req);
        if (typeof data.name !== 'string' || !data.name.trim()) {
          throw new AsanaError(400, 'name: Missing input');
        }
        const projects = Array.isArray(data.projects)
          ? data.projects.map(String)
          : [];
        for (const p of projects) needProject(p);
        if (projects.length === 0 && data.workspace !== d.workspaceGid) {
          throw new AsanaError(
            400,
            'workspace: Missing input (or give projects)',
          );
        }
        const now = new Date().toISOString();
        const task: Task = {
          gid: nextGid('121'),
          name: data.name,
          notes: typeof data.notes === 'string' ? data.notes : '',
          completed: false,
          completedAt: null,
          createdAt: now,
          modifiedAt: now,
          projects,
          section: projects.length ? d.sectionGid : undefined,
          values: {},
          stories: [],
        };
        applyValues(task, data.custom_fields);
        state.tasks.push(task);
        save();
        return { status: 201, json: { data: taskJson(task) } };
      }),
    );

    router.get(
      '/tasks/:gid',
      route(req => ({ json: { data: taskJson(findTask(req.params.gid)) } })),
    );

    router.put(
      '/tasks/:gid',
      route(req => {
        const task = findTask(req.params.gid);
        const data = body(req);
        const next = structuredClone(task);
        if (typeof data.name === 'string') next.name = data.name;
        if (typeof data.notes === 'string') next.notes = data.notes;
        if (typeof data.completed === 'boolean') {
          next.completedAt = data.completed
            ? task.completedAt ?? new Date().toISOString()
            : null;
          next.completed = data.completed;
        }
        applyValues(next, data.custom_fields);
        next.modifiedAt = new Date().toISOString();
        Object.assign(task, next);
        save();
        return { json: { data: taskJson(task) } };
      }),
    );

    router.post(
      '/tasks/:gid/stories',
      route(req => {
        const task = findTask(req.params.gid);
        const data = body(req);
        let text = '';
        if (typeof data.text === 'string') text = data.text;
        else if (typeof data.html_text === 'string')
          text = data.html_text.replace(/<[^>]*>/g, '');
        if (!text) throw new AsanaError(400, 'text: Missing input');
        const story = {
          gid: nextGid('122'),
          text,
          createdAt: new Date().toISOString(),
        };
        task.stories.push(story);
        save();
        return {
          status: 201,
          json: {
            data: {
              gid: story.gid,
              resource_type: 'story',
              resource_subtype: 'comment_added',
              type: 'comment',
              text: story.text,
              created_at: story.createdAt,
              created_by: compact('user', d.userGid, 'kop release bot'),
              target: compact('task', task.gid, task.name),
            },
          },
        };
      }),
    );

    router.get(
      '/tasks/:gid/stories',
      route(req => {
        const task = findTask(req.params.gid);
        return {
          json: {
            data: task.stories.map(s => ({
              gid: s.gid,
              resource_type: 'story',
              resource_subtype: 'comment_added',
              type: 'comment',
              text: s.text,
              created_at: s.createdAt,
              created_by: compact('user', d.userGid, 'kop release bot'),
            })),
            next_page: null,
          },
        };
      }),
    );

    return {
      name: 'Asana',
      prefix: '/asana/api/1.0',
      router,
      async describe() {
        return state.tasks.map(t => {
          const value = (gid: string) => {
            const v = t.values[gid];
            const f = fields.find(x => x.gid === gid)!;
            return f.options?.find(o => o.gid === v)?.name ?? v ?? '';
          };
          return {
            task: t.gid,
            name: t.name,
            grade: value(d.fields.grade),
            build: value(d.fields.buildNumber),
            'db update': value(d.fields.dbUpdate),
            comments: t.stories.length,
            completed: t.completed ? 'yes' : '',
          };
        });
      },
    };
  };
}
