import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  ApiClient,
  CustomFieldSettingsApi,
  ProjectsApi,
  SectionsApi,
  StoriesApi,
  TasksApi,
} from 'asana';
import {
  isRetryableStatus,
  retryAfterMs,
  type RetryPolicy,
} from '../http/retry';
import {
  RetryingCaller,
  type CallClock,
  type CallFailure,
} from '../http/retryingCaller';
import { causeOf } from '../http/where';

/** Custom field gids of the release-management project. @public */
export interface AsanaReleaseFields {
  /** Enum field whose options start with the grade letter, e.g. "B(낮음)". */
  grade?: string;
  /** Text field. */
  buildNumber?: string;
  /** Enum field with a yes and a no option. */
  dbUpdate?: string;
  /** Text field: where the release stands (approved, deploying, done…). */
  state?: string;
}

/** @public */
export interface AsanaClientOptions {
  /** Personal access token or service account token. */
  token: string;
  /** Default https://app.asana.com/api/1.0 (the sandbox: `<sandbox>/asana/api/1.0`). */
  baseUrl?: string;
  /** The release-management project. */
  projectGid: string;
  /** Section new release tasks go into. */
  sectionGid?: string;
  fields?: AsanaReleaseFields;
  /** Names of the DB update options; default yes: Y, no: N. */
  dbUpdateOptions?: { yes: string; no: string };
  /** Per request, default 15000. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  clock?: CallClock;
  logger?: LoggerService;
}

/** The release fields as the portal speaks of them. @public */
export interface AsanaReleaseValues {
  /** A–E. */
  grade?: string;
  buildNumber?: string;
  dbUpdate?: boolean;
  /** The release's state, as the portal names it. */
  state?: string;
}

/** @public */
export interface AsanaReleaseTask extends AsanaReleaseValues {
  gid: string;
  name: string;
  completed: boolean;
  permalinkUrl?: string;
}

/** A task of the release project as the Prepare form offers it for an item. @public */
export interface AsanaProjectTask {
  gid: string;
  name: string;
  completed: boolean;
  permalinkUrl?: string;
  assignee?: { gid: string; name: string };
  /** Its section in the release project. */
  section?: { gid: string; name: string };
}

/** @public */
export interface AsanaProjectTaskQuery {
  /** Only tasks whose name holds this text (any case). */
  query?: string;
  /** Completed tasks too; default open tasks only. */
  includeCompleted?: boolean;
  /** At most this many tasks (default 100); `truncated` says when more matched. */
  limit?: number;
  /** Tasks per request, 1–100 (default 100). */
  pageSize?: number;
}

/** @public */
export interface AsanaProjectTaskList {
  tasks: AsanaProjectTask[];
  truncated: boolean;
}

/** @public */
export interface AsanaCheckResult {
  system: 'Asana';
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

interface FieldSetting {
  custom_field: {
    gid: string;
    name: string;
    resource_subtype?: string;
    enum_options?: Array<{ gid: string; name: string; enabled?: boolean }>;
  };
}

interface TaskData {
  gid: string;
  name: string;
  completed: boolean;
  permalink_url?: string;
  custom_fields?: Array<{
    gid: string;
    enum_value?: { gid: string; name: string } | null;
    text_value?: string | null;
  }>;
}

interface ListedTaskData {
  gid: string;
  name: string;
  completed?: boolean;
  permalink_url?: string;
  assignee?: { gid: string; name?: string } | null;
  memberships?: Array<{
    project?: { gid: string };
    section?: { gid: string; name?: string } | null;
  }>;
}

const LISTED_TASK_FIELDS =
  'name,completed,permalink_url,assignee.name,memberships.project,memberships.section.name';

const DEFAULT_BASE_URL = 'https://app.asana.com/api/1.0';

/** Pages read at most per listing, so a huge project cannot hold a form open. */
const MAX_TASK_PAGES = 20;

const TASK_FIELDS =
  'name,completed,permalink_url,custom_fields.enum_value.name,custom_fields.text_value';

/** The URL of each failed call: the library's errors do not say where they went. */
const failedUrls = new WeakMap<object, string>();

/** Has `api` note the URL of every call that fails, for classifyAsanaError. */
function noteFailedUrls(api: ApiClient): void {
  const callApi = api.callApi.bind(api);
  api.callApi = (...args: Parameters<ApiClient['callApi']>) =>
    callApi(...args).catch((e: unknown) => {
      if (e && typeof e === 'object') {
        failedUrls.set(e, api.buildUrl(args[0], args[2]));
      }
      throw e;
    });
}

function classifyAsanaError(error: unknown, timeoutMs: number): CallFailure {
  const where =
    error && typeof error === 'object' ? failedUrls.get(error) : undefined;
  return { ...classifyAsanaFailure(error, timeoutMs), url: where };
}

function classifyAsanaFailure(error: unknown, timeoutMs: number): CallFailure {
  const e = error as {
    status?: number;
    timeout?: number;
    code?: string;
    response?: {
      headers?: Record<string, string>;
      body?: { errors?: Array<{ message?: string }> };
    };
    message?: string;
  };
  if (e?.status) {
    const message = e.response?.body?.errors?.[0]?.message;
    const asked = retryAfterMs(e.response?.headers?.['retry-after']);
    if (e.status === 429) {
      return {
        status: 429,
        retryAfterMs: asked,
        transient: true,
        detail: `rate limited${
          asked !== undefined
            ? ` (Retry-After ${Math.ceil(asked / 1000)} s)`
            : ''
        }`,
      };
    }
    return {
      status: e.status,
      transient: isRetryableStatus(e.status),
      detail: message ?? 'unexpected answer',
    };
  }
  if (e?.timeout || e?.code === 'ECONNABORTED') {
    return { transient: true, detail: `no answer within ${timeoutMs} ms` };
  }
  // The network's own words, e.g. connect ECONNREFUSED 127.0.0.1:1.
  if (e?.code) return { transient: true, detail: causeOf(error) };
  const message = e?.message ?? String(error);
  // Connection trouble without a code (as the interceptors in tests report it) is worth a retry too.
  return {
    transient: /network|socket|connect|EAI_AGAIN/i.test(message),
    detail: message,
  };
}

/** Letter of a grade option, e.g. "B(낮음)" → B. */
const gradeOf = (name: string) => /^([A-E])(?![A-Za-z])/.exec(name)?.[1];

/**
 * The release's Asana task in the release-management project: create it with its custom fields
 * (grade, build number, DB update), change them, comment, complete. Enum option gids are looked up
 * by name from the project's custom field settings, so config holds only the field gids.
 *
 * Each client has its own `ApiClient` (not the library's shared `ApiClient.instance`), so two
 * clients never share a token or base path. Errors never carry the library's error object: it holds
 * the request with its Authorization header.
 *
 * @public
 */
export class AsanaClient {
  private readonly caller: RetryingCaller;
  private readonly tasks: TasksApi;
  private readonly stories: StoriesApi;
  private readonly projects: ProjectsApi;
  private readonly sections: SectionsApi;
  private readonly settings: CustomFieldSettingsApi;
  private readonly options: AsanaClientOptions;
  private fieldSettings?: Promise<FieldSetting[]>;

  /** Reads `asana.*`; undefined when Asana is not configured. */
  static fromConfig(
    config: Config,
    options: Pick<AsanaClientOptions, 'logger' | 'clock'> = {},
  ): AsanaClient | undefined {
    const asana = config.getOptionalConfig('asana');
    if (!asana) return undefined;
    const fields = asana.getOptionalConfig('fields');
    const db = asana.getOptionalConfig('dbUpdateOptions');
    return new AsanaClient({
      token: asana.getString('token'),
      baseUrl: asana.getOptionalString('baseUrl'),
      projectGid: asana.getString('projectGid'),
      sectionGid: asana.getOptionalString('sectionGid'),
      fields: {
        grade: fields?.getOptionalString('grade'),
        buildNumber: fields?.getOptionalString('buildNumber'),
        dbUpdate: fields?.getOptionalString('dbUpdate'),
        state: fields?.getOptionalString('state'),
      },
      dbUpdateOptions: db
        ? { yes: db.getString('yes'), no: db.getString('no') }
        : undefined,
      timeoutMs: asana.getOptionalNumber('timeoutMs'),
      ...options,
    });
  }

  constructor(options: AsanaClientOptions) {
    if (!options.token) throw new Error('asana.token is required');
    this.options = options;
    const timeoutMs = options.timeoutMs ?? 15_000;
    const api = new ApiClient();
    api.basePath = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    api.authentications.token.accessToken = options.token;
    api.timeout = timeoutMs;
    api.RETURN_COLLECTION = false;
    noteFailedUrls(api);
    this.tasks = new TasksApi(api);
    this.stories = new StoriesApi(api);
    this.projects = new ProjectsApi(api);
    this.sections = new SectionsApi(api);
    this.settings = new CustomFieldSettingsApi(api);
    this.caller = new RetryingCaller({
      system: 'Asana',
      classify: e => classifyAsanaError(e, timeoutMs),
      secrets: [options.token],
      retry: options.retry,
      clock: options.clock,
      logger: options.logger,
    });
  }

  /** Epoch ms before which this client sends nothing because Asana said so (0 when free). */
  get rateLimitedUntil(): number {
    return this.caller.rateLimitedUntil;
  }

  private loadFieldSettings(): Promise<FieldSetting[]> {
    if (!this.fieldSettings) {
      this.fieldSettings = this.caller
        .run('read custom fields', () =>
          this.settings.getCustomFieldSettingsForProject(
            this.options.projectGid,
            {
              limit: 100,
              opt_fields:
                'custom_field.name,custom_field.resource_subtype,custom_field.enum_options.name,custom_field.enum_options.enabled',
            },
          ),
        )
        .then(r => (r as { data: FieldSetting[] }).data);
      this.fieldSettings.catch(() => {
        this.fieldSettings = undefined;
      });
    }
    return this.fieldSettings;
  }

  private async option(
    action: string,
    fieldGid: string,
    matches: (name: string) => boolean,
    what: string,
  ): Promise<string> {
    const setting = (await this.loadFieldSettings()).find(
      s => s.custom_field.gid === fieldGid,
    );
    const option = setting?.custom_field.enum_options?.find(
      o => o.enabled !== false && matches(o.name),
    );
    if (!option) {
      throw this.caller.error(action, {
        transient: false,
        detail: setting
          ? `the field ${setting.custom_field.name} has no option for ${what}`
          : `custom field ${fieldGid} is not on project ${this.options.projectGid}`,
      });
    }
    return option.gid;
  }

  /** The `custom_fields` object of a task request. */
  private async customFields(
    action: string,
    values: AsanaReleaseValues,
  ): Promise<Record<string, string>> {
    const f = this.options.fields ?? {};
    const out: Record<string, string> = {};
    if (values.grade !== undefined && f.grade) {
      out[f.grade] = await this.option(
        action,
        f.grade,
        name => gradeOf(name) === values.grade,
        `grade ${values.grade}`,
      );
    }
    if (values.buildNumber !== undefined && f.buildNumber) {
      out[f.buildNumber] = values.buildNumber;
    }
    if (values.state !== undefined && f.state) {
      out[f.state] = values.state;
    }
    if (values.dbUpdate !== undefined && f.dbUpdate) {
      const names = this.options.dbUpdateOptions ?? { yes: 'Y', no: 'N' };
      const wanted = values.dbUpdate ? names.yes : names.no;
      out[f.dbUpdate] = await this.option(
        action,
        f.dbUpdate,
        name => name.trim().toLowerCase() === wanted.toLowerCase(),
        `DB update ${wanted}`,
      );
    }
    return out;
  }

  private toTask(data: TaskData): AsanaReleaseTask {
    const f = this.options.fields ?? {};
    const names = this.options.dbUpdateOptions ?? { yes: 'Y', no: 'N' };
    const field = (gid?: string) =>
      gid ? data.custom_fields?.find(c => c.gid === gid) : undefined;
    const grade = field(f.grade)?.enum_value?.name;
    const db = field(f.dbUpdate)?.enum_value?.name;
    return {
      gid: data.gid,
      name: data.name,
      completed: data.completed,
      permalinkUrl: data.permalink_url,
      grade: grade ? gradeOf(grade) : undefined,
      buildNumber: field(f.buildNumber)?.text_value ?? undefined,
      state: field(f.state)?.text_value ?? undefined,
      dbUpdate:
        db === undefined
          ? undefined
          : db.toLowerCase() === names.yes.toLowerCase(),
    };
  }

  /**
   * Creates the release task (e.g. "2026.01.06 hybris, kop-cms") in the project, moves it to the
   * configured section and sets the release fields. Not repeated after a 5xx (no double tasks).
   */
  async createReleaseTask(
    input: { name: string; notes?: string } & AsanaReleaseValues,
  ): Promise<AsanaReleaseTask> {
    const action = 'create task';
    const customFields = await this.customFields(action, input);
    const created = await this.caller.run(
      action,
      () =>
        this.tasks.createTask(
          {
            data: {
              name: input.name,
              notes: input.notes ?? '',
              projects: [this.options.projectGid],
              custom_fields: customFields,
            },
          },
          { opt_fields: TASK_FIELDS },
        ),
      { idempotent: false },
    );
    const task = this.toTask((created as { data: TaskData }).data);
    if (this.options.sectionGid) {
      await this.caller.run('move task to section', () =>
        this.sections.addTaskForSection(this.options.sectionGid!, {
          body: { data: { task: task.gid } },
        }),
      );
    }
    return task;
  }

  async getTask(taskGid: string): Promise<AsanaReleaseTask> {
    const result = await this.caller.run('read task', () =>
      this.tasks.getTask(taskGid, { opt_fields: TASK_FIELDS }),
    );
    return this.toTask((result as { data: TaskData }).data);
  }

  /**
   * The tasks of the release project (open ones unless asked otherwise), page by page in the
   * project's order, leaving out the release tasks themselves (those in the release section).
   * Asana's task search is a premium feature, so the name filter is applied here.
   */
  async listProjectTasks(
    query: AsanaProjectTaskQuery = {},
  ): Promise<AsanaProjectTaskList> {
    const { projectGid, sectionGid } = this.options;
    const limit = query.limit ?? 100;
    const pageSize = Math.min(100, Math.max(1, query.pageSize ?? 100));
    const needle = query.query?.trim().toLowerCase() ?? '';
    const tasks: AsanaProjectTask[] = [];
    let offset: string | undefined;
    for (let page = 0; page < MAX_TASK_PAGES; page++) {
      const params = {
        limit: pageSize,
        opt_fields: LISTED_TASK_FIELDS,
        // Asana's way to ask for open tasks only: those completed since now, i.e. none.
        ...(query.includeCompleted ? {} : { completed_since: 'now' }),
        ...(offset ? { offset } : {}),
      };
      const result = (await this.caller.run('list tasks', () =>
        this.tasks.getTasksForProject(projectGid, params),
      )) as {
        data: ListedTaskData[];
        next_page?: { offset?: string } | null;
      };
      for (const data of result.data) {
        const task = this.toProjectTask(data);
        if (task.section && task.section.gid === sectionGid) continue;
        if (!query.includeCompleted && task.completed) continue;
        if (needle && !task.name.toLowerCase().includes(needle)) continue;
        if (tasks.length === limit) return { tasks, truncated: true };
        tasks.push(task);
      }
      offset = result.next_page?.offset ?? undefined;
      if (!offset) return { tasks, truncated: false };
    }
    return { tasks, truncated: true };
  }

  /**
   * The open task of the project whose notes hold `marker` (e.g. a release's `Release-Id: <id>`
   * line): how a task created before a crash is found again instead of being created twice.
   */
  async findOpenTaskByNotes(
    marker: string,
  ): Promise<{ gid: string; permalinkUrl?: string } | undefined> {
    let offset: string | undefined;
    for (let page = 0; page < MAX_TASK_PAGES; page++) {
      const params = {
        limit: 100,
        opt_fields: 'notes,permalink_url',
        completed_since: 'now',
        ...(offset ? { offset } : {}),
      };
      const result = (await this.caller.run('find task', () =>
        this.tasks.getTasksForProject(this.options.projectGid, params),
      )) as {
        data: Array<{ gid: string; notes?: string; permalink_url?: string }>;
        next_page?: { offset?: string } | null;
      };
      const found = result.data.find(t => t.notes?.includes(marker));
      if (found) {
        return {
          gid: found.gid,
          ...(found.permalink_url ? { permalinkUrl: found.permalink_url } : {}),
        };
      }
      offset = result.next_page?.offset ?? undefined;
      if (!offset) return undefined;
    }
    return undefined;
  }

  private toProjectTask(data: ListedTaskData): AsanaProjectTask {
    const membership = data.memberships?.find(
      m => m.project?.gid === this.options.projectGid,
    );
    return {
      gid: data.gid,
      name: data.name,
      completed: data.completed ?? false,
      ...(data.permalink_url ? { permalinkUrl: data.permalink_url } : {}),
      ...(data.assignee
        ? {
            assignee: {
              gid: data.assignee.gid,
              name: data.assignee.name ?? '',
            },
          }
        : {}),
      ...(membership?.section
        ? {
            section: {
              gid: membership.section.gid,
              name: membership.section.name ?? '',
            },
          }
        : {}),
    };
  }

  /** Sets the given release fields, leaving the others as they are. */
  async updateReleaseFields(
    taskGid: string,
    values: AsanaReleaseValues,
  ): Promise<AsanaReleaseTask> {
    const action = 'update task';
    const customFields = await this.customFields(action, values);
    const result = await this.caller.run(action, () =>
      this.tasks.updateTask(
        { data: { custom_fields: customFields } },
        taskGid,
        { opt_fields: TASK_FIELDS },
      ),
    );
    return this.toTask((result as { data: TaskData }).data);
  }

  /** Adds a comment (a story) to the task. Not repeated after a 5xx (no double comments). */
  async addComment(taskGid: string, text: string): Promise<{ gid: string }> {
    const result = await this.caller.run(
      'add comment',
      () => this.stories.createStoryForTask({ data: { text } }, taskGid, {}),
      { idempotent: false },
    );
    return { gid: (result as { data: { gid: string } }).data.gid };
  }

  async completeTask(taskGid: string): Promise<AsanaReleaseTask> {
    const result = await this.caller.run('complete task', () =>
      this.tasks.updateTask({ data: { completed: true } }, taskGid, {
        opt_fields: TASK_FIELDS,
      }),
    );
    return this.toTask((result as { data: TaskData }).data);
  }

  /** Whether the token works, the project (and section) exist and the custom fields are on it. */
  async check(): Promise<AsanaCheckResult> {
    const checks: AsanaCheckResult['checks'] = [];
    const { projectGid, sectionGid } = this.options;
    try {
      const project = await this.caller.run('read project', () =>
        this.projects.getProject(projectGid, { opt_fields: 'name,archived' }),
      );
      const data = (project as { data: { name: string; archived?: boolean } })
        .data;
      checks.push({
        name: 'project',
        ok: !data.archived,
        detail: data.archived
          ? `${data.name} (${projectGid}) is archived`
          : `${data.name} (${projectGid})`,
      });
    } catch (e) {
      checks.push({ name: 'project', ok: false, detail: (e as Error).message });
      return { system: 'Asana', ok: false, checks };
    }
    if (sectionGid) {
      try {
        const section = await this.caller.run('read section', () =>
          this.sections.getSection(sectionGid, { opt_fields: 'name,project' }),
        );
        const data = (
          section as { data: { name: string; project?: { gid: string } } }
        ).data;
        const inProject = !data.project || data.project.gid === projectGid;
        checks.push({
          name: 'section',
          ok: inProject,
          detail: inProject
            ? `${data.name} (${sectionGid})`
            : `${sectionGid} is in another project`,
        });
      } catch (e) {
        checks.push({
          name: 'section',
          ok: false,
          detail: (e as Error).message,
        });
      }
    }
    let settings: FieldSetting[] = [];
    try {
      this.fieldSettings = undefined;
      settings = await this.loadFieldSettings();
    } catch (e) {
      checks.push({
        name: 'custom fields',
        ok: false,
        detail: (e as Error).message,
      });
      return { system: 'Asana', ok: false, checks };
    }
    const names = this.options.dbUpdateOptions ?? { yes: 'Y', no: 'N' };
    const expectations: Array<{
      key: keyof AsanaReleaseFields;
      subtype: string;
      options?: (names: string[]) => string | undefined;
    }> = [
      {
        key: 'grade',
        subtype: 'enum',
        options: o => {
          const missing = ['A', 'B', 'C', 'D', 'E'].filter(
            g => !o.some(n => gradeOf(n) === g),
          );
          return missing.length
            ? `no option for ${missing.join(', ')}`
            : undefined;
        },
      },
      { key: 'buildNumber', subtype: 'text' },
      {
        key: 'dbUpdate',
        subtype: 'enum',
        options: o => {
          const lower = o.map(n => n.trim().toLowerCase());
          const missing = [names.yes, names.no].filter(
            n => !lower.includes(n.toLowerCase()),
          );
          return missing.length ? `no option ${missing.join(', ')}` : undefined;
        },
      },
    ];
    for (const { key, subtype, options } of expectations) {
      const gid = this.options.fields?.[key];
      const name = `field ${key}`;
      if (!gid) {
        checks.push({
          name,
          ok: false,
          detail: `asana.fields.${key} is not set`,
        });
        continue;
      }
      const field = settings.find(
        s => s.custom_field.gid === gid,
      )?.custom_field;
      if (!field) {
        checks.push({
          name,
          ok: false,
          detail: `custom field ${gid} is not on the project`,
        });
        continue;
      }
      const problem =
        field.resource_subtype && field.resource_subtype !== subtype
          ? `is ${field.resource_subtype}, not ${subtype}`
          : options?.(
              (field.enum_options ?? [])
                .filter(o => o.enabled !== false)
                .map(o => o.name),
            );
      checks.push({
        name,
        ok: !problem,
        detail: problem ? `${field.name} ${problem}` : `${field.name} (${gid})`,
      });
    }
    return { system: 'Asana', ok: checks.every(c => c.ok), checks };
  }
}
