import express from 'express';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxContext, SandboxService } from '../types';

export interface AsanaSandboxOptions {
  /** The token the portal must send; default `asana-sandbox-token`. */
  token?: string;
  /** Work items in the release project at start (e.g. `asanaSeedTasks`); default none. */
  tasks?: AsanaSeedTask[];
}

/** A work item the sandbox starts with. */
export interface AsanaSeedTask {
  gid: string;
  name: string;
  /** One of `asanaSeedUsers`' gids. */
  assignee?: string;
  completed?: boolean;
}

/** The gids of the sandbox's release-management project, as app-config.local.yaml names them. */
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
    state: '1200000000000050',
  },
  userGid: '1200000000000100',
  /** Section of the work items that wait to ship. */
  workSectionGid: '1200000000000013',
};

/** People the seeded work items are assigned to (the catalog's demo users). */
export const asanaSeedUsers = [
  { gid: '1200000000000101', name: '김민준 Kim Minjun' },
  { gid: '1200000000000102', name: '박지훈 Park Jihoon' },
  { gid: '1200000000000103', name: '최유나 Choi Yuna' },
];

/** The work items of the seed's announcement of 2026-01-08, one more open and one done. */
export const asanaSeedTasks: AsanaSeedTask[] = (
  [
    ['41', '[버티컬] 대표이사 성명 변경 작업 원복', 2],
    ['42', '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복', 0],
    ['43', '[CMS] KS CMS-상세HTML 수정 요청', 1],
    ['44', '[CMS] KS 템플릿 업데이트', 1],
    ['45', '[HYBRIS] 재입고 알림 타입 추가', undefined],
    ['40', '[WEB] 장바구니 버튼 문구 수정', 2, true],
  ] as const
).map(([n, name, user, completed]) => ({
  gid: `12090000000000${n}`,
  name,
  ...(user !== undefined ? { assignee: asanaSeedUsers[user].gid } : {}),
  ...(completed ? { completed } : {}),
}));

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
  assignee?: string;
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
  { gid: d.fields.state, name: '배포상태', subtype: 'text' },
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
    { gid: d.workSectionGid, name: '배포 대기' },
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

/** Asana's `completed_since`: a date-time or `now`; undefined when absent. */
function completedSince(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (value === 'now') return Date.now();
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    throw new AsanaError(400, 'completed_since: Not a valid date-time');
  }
  return at;
}

/** Asana's page size: 1–100; absent means one page with everything. */
function pageLimit(query: express.Request['query']): number | undefined {
  if (query.limit === undefined) return undefined;
  const limit = Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new AsanaError(400, 'limit: Must be between 1 and 100');
  }
  return limit;
}

/**
 * One page and the offset token of the next, as Asana pages: the token is opaque to clients and
 * only one it handed out is accepted.
 */
function pageOf<T>(
  items: T[],
  query: express.Request['query'],
): { page: T[]; nextOffset?: string } {
  const limit = pageLimit(query);
  let start = 0;
  if (query.offset !== undefined) {
    let decoded: { start?: unknown } | undefined;
    try {
      decoded = JSON.parse(
        Buffer.from(String(query.offset), 'base64url').toString(),
      );
    } catch {
      decoded = undefined;
    }
    if (!Number.isInteger(decoded?.start) || limit === undefined) {
      throw new AsanaError(
        400,
        'offset: Your pagination token is invalid or expired',
      );
    }
    start = decoded!.start as number;
  }
  if (limit === undefined) return { page: items.slice(start) };
  const end = start + limit;
  return {
    page: items.slice(start, end),
    nextOffset:
      end < items.length
        ? Buffer.from(JSON.stringify({ start: end })).toString('base64url')
        : undefined,
  };
}

/** The top-level fields `opt_fields` names; undefined means the compact record. */
function optFields(value: unknown): Set<string> | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return new Set(value.split(',').map(f => f.trim().split('.')[0]));
}

/** A record with only the asked fields (and always gid and resource_type), as Asana answers. */
function pick(
  record: Record<string, unknown>,
  asked: Set<string> | undefined,
): Record<string, unknown> {
  const keep = asked ?? new Set(['name', 'resource_subtype']);
  return Object.fromEntries(
    Object.entries(record).filter(
      ([key]) => key === 'gid' || key === 'resource_type' || keep.has(key),
    ),
  );
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
    // Seeds missing from a kept state are added, so an older data directory gets them too.
    for (const seed of options.tasks ?? []) {
      if (state.tasks.some(t => t.gid === seed.gid)) continue;
      const at = '2026-01-05T01:00:00.000Z';
      state.tasks.push({
        gid: seed.gid,
        name: seed.name,
        notes: '',
        completed: seed.completed ?? false,
        completedAt: seed.completed ? at : null,
        createdAt: at,
        modifiedAt: at,
        projects: [d.projectGid],
        section: seed.completed ? d.doneSectionGid : d.workSectionGid,
        assignee: seed.assignee,
        values: {},
        stories: [],
      });
    }
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
      assignee: task.assignee
        ? compact(
            'user',
            task.assignee,
            asanaSeedUsers.find(u => u.gid === task.assignee)?.name ?? '',
          )
        : null,
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
        const since = completedSince(req.query.completed_since);
        const tasks = state.tasks.filter(
          t =>
            t.projects.includes(req.params.gid) &&
            (since === undefined ||
              !t.completedAt ||
              Date.parse(t.completedAt) >= since),
        );
        const { page, nextOffset } = pageOf(tasks, req.query);
        const asked = optFields(req.query.opt_fields);
        const path = `/projects/${req.params.gid}/tasks`;
        return {
          json: {
            data: page.map(t => pick(taskJson(t), asked)),
            next_page: nextOffset
              ? {
                  offset: nextOffset,
                  path: `${path}?limit=${pageLimit(
                    req.query,
                  )}&offset=${nextOffset}`,
                  uri: `https://app.asana.com/api/1.0${path}?limit=${pageLimit(
                    req.query,
                  )}&offset=${nextOffset}`,
                }
              : null,
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
