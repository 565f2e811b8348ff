/**
 * Writes openapi.yaml's component schemas from release-common's zod schemas, the one definition of
 * the release API's request and response shapes; the paths and operations stay hand-written.
 *
 *   yarn workspace @internal/plugin-release-backend openapi:generate
 */
/// <reference path="./prettier.d.ts" />
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import prettier from 'prettier';
import { parseDocument } from 'yaml';
import { z, type ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import {
  addLinkRequestSchema,
  asanaTaskListSchema,
  asanaTaskSchema,
  candidateListSchema,
  releaseCandidateSchema,
  releaseLinkOutSchema,
  releaseLinksOutSchema,
  iacEditTargetsSchema,
  iacPreviewSchema,
  releaseBackendHealthSchema,
  releaseIacDiffSchema,
  releasePreviewSchema,
  approvalCheckSchema,
  approvalRequirementSchema,
  approvalStageSchema,
  releaseAppVersionSchema,
  releaseApprovalSchema,
  releaseItemSourceSchema,
  releaseLinkSchema,
  releaseUrlSchema,
  auditVerificationSchema,
  changeGradeRequestSchema,
  createReleaseRequestSchema,
  iacPreviewRequestSchema,
  pendingApprovalsSchema,
  releaseAppSchema,
  releaseApprovalsSchema,
  releaseAuditPageSchema,
  releaseMessageSchema,
  releaseMessagesSchema,
  releaseAuditRecordSchema,
  releaseDecisionSchema,
  releaseGradeSchema,
  releaseItemSchema,
  releaseConfigChangeSchema,
  releaseConfigSchema,
  releasePageSchema,
  releaseSchema,
  releaseStateSchema,
  retroApprovalRequestSchema,
  testOverrideRequestSchema,
  transitionRequestSchema,
  whatShipsRequestSchema,
  deployedVersionSchema,
  whatShipsCommitSchema,
  whatShipsMergeRequestSchema,
  whatShipsSchema,
  demoUserSchema,
  demoUsersSchema,
  releaseSystemSchema,
  systemCheckSchema,
  systemCheckReportSchema,
  setupCheckResultSchema,
  releaseNotesSchema,
  gradeRuleSchema,
  releaseWindowSchema,
  gradePolicySchema,
  releaseStatusOperationSchema,
  releaseStatusArgoAppSchema,
  releaseStatusPointSchema,
  releaseStatusColourSchema,
  releaseStatusAppSchema,
  releaseStatusEnvironmentSchema,
  releaseStatusSchema,
  deployStepKindSchema,
  deployValueSchema,
  deployKeyChangeSchema,
  deployPlanChangeSchema,
  deployGitChangeSchema,
  deployCallSchema,
  deployGateCheckSchema,
  deployGateSchema,
  deployColourRoleSchema,
  deployPlanStepSchema,
  deployPlanSchema,
  deployAcknowledgementSchema,
  deployReadingSchema,
  deployReadingsSchema,
  deployStepLinkSchema,
  deployRunStepSchema,
  deployRunSchema,
  deployControlSchema,
  lineHaltSchema,
  deployOtherCommitSchema,
  deployRebaseSchema,
  deployViewSchema,
  deployRequestSchema,
  deployStepControlRequestSchema,
  rebaseApprovalRequestSchema,
  abortRequestSchema,
  acknowledgeRequestSchema,
  stopTheLineRequestSchema,
  stopTheLineSchema,
  queueReleaseMessageRequestSchema,
  releaseMessageKeySchema,
} from '@internal/plugin-release-common';

export const openapiFile = resolve(__dirname, '../openapi.yaml');

/** Each generated component by its name in openapi.yaml; a schema used inside another becomes a $ref. */
export const generatedComponents: Record<string, ZodTypeAny> = {
  App: releaseAppSchema,
  Grade: releaseGradeSchema,
  State: releaseStateSchema,
  ApprovalStage: approvalStageSchema,
  Url: releaseUrlSchema,
  ItemSource: releaseItemSourceSchema,
  Item: releaseItemSchema,
  ReleaseConfigChange: releaseConfigChangeSchema,
  ReleaseConfig: releaseConfigSchema,
  AppVersion: releaseAppVersionSchema,
  Approval: releaseApprovalSchema,
  Link: releaseLinkSchema,
  Release: releaseSchema,
  ReleasePage: releasePageSchema,
  CreateRelease: createReleaseRequestSchema,
  ChangeGrade: changeGradeRequestSchema,
  AddLink: addLinkRequestSchema,
  Decision: releaseDecisionSchema,
  RetroApproval: retroApprovalRequestSchema,
  TestOverride: testOverrideRequestSchema,
  Transition: transitionRequestSchema,
  ApprovalRequirement: approvalRequirementSchema,
  ApprovalCheck: approvalCheckSchema,
  ReleaseApprovals: releaseApprovalsSchema,
  PendingApprovals: pendingApprovalsSchema,
  AuditRecord: releaseAuditRecordSchema,
  AuditPage: releaseAuditPageSchema,
  AuditVerification: auditVerificationSchema,
  ReleaseMessage: releaseMessageSchema,
  ReleaseMessages: releaseMessagesSchema,
  MessageKey: releaseMessageKeySchema,
  QueueReleaseMessage: queueReleaseMessageRequestSchema,
  WhatShipsRequest: whatShipsRequestSchema,
  DeployedVersion: deployedVersionSchema,
  WhatShipsCommit: whatShipsCommitSchema,
  WhatShipsMergeRequest: whatShipsMergeRequestSchema,
  WhatShips: whatShipsSchema,
  IacPreviewRequest: iacPreviewRequestSchema,
  DemoUser: demoUserSchema,
  DemoUsers: demoUsersSchema,
  ReleaseSystem: releaseSystemSchema,
  SystemCheck: systemCheckSchema,
  SystemCheckReport: systemCheckReportSchema,
  SetupCheckResult: setupCheckResultSchema,
  ReleaseNotes: releaseNotesSchema,
  GradeRule: gradeRuleSchema,
  ReleaseWindow: releaseWindowSchema,
  GradePolicy: gradePolicySchema,
  ReleaseStatusOperation: releaseStatusOperationSchema,
  ReleaseStatusArgoApp: releaseStatusArgoAppSchema,
  ReleaseStatusPoint: releaseStatusPointSchema,
  ReleaseStatusColour: releaseStatusColourSchema,
  ReleaseStatusApp: releaseStatusAppSchema,
  ReleaseStatusEnvironment: releaseStatusEnvironmentSchema,
  ReleaseStatus: releaseStatusSchema,
  Health: releaseBackendHealthSchema,
  ReleaseIacDiff: releaseIacDiffSchema,
  ReleasePreview: releasePreviewSchema,
  IacEditTargets: iacEditTargetsSchema,
  IacPreview: iacPreviewSchema,
  Candidate: releaseCandidateSchema,
  CandidateList: candidateListSchema,
  AsanaTask: asanaTaskSchema,
  AsanaTaskList: asanaTaskListSchema,
  LinkOut: releaseLinkOutSchema,
  LinksOut: releaseLinksOutSchema,
  DeployStepKind: deployStepKindSchema,
  DeployValue: deployValueSchema,
  DeployKeyChange: deployKeyChangeSchema,
  DeployPlanChange: deployPlanChangeSchema,
  DeployGitChange: deployGitChangeSchema,
  DeployCall: deployCallSchema,
  DeployGateCheck: deployGateCheckSchema,
  DeployGate: deployGateSchema,
  DeployColourRole: deployColourRoleSchema,
  DeployPlanStep: deployPlanStepSchema,
  DeployPlan: deployPlanSchema,
  DeployAcknowledgement: deployAcknowledgementSchema,
  DeployReading: deployReadingSchema,
  DeployReadings: deployReadingsSchema,
  DeployStepLink: deployStepLinkSchema,
  DeployRunStep: deployRunStepSchema,
  DeployRun: deployRunSchema,
  DeployControl: deployControlSchema,
  LineHalt: lineHaltSchema,
  DeployOtherCommit: deployOtherCommitSchema,
  DeployRebase: deployRebaseSchema,
  DeployView: deployViewSchema,
  DeployRequest: deployRequestSchema,
  DeployStepControl: deployStepControlRequestSchema,
  RebaseApprovalRequest: rebaseApprovalRequestSchema,
  AbortRequest: abortRequestSchema,
  AcknowledgeRequest: acknowledgeRequestSchema,
  StopTheLineRequest: stopTheLineRequestSchema,
  StopTheLine: stopTheLineSchema,
};

/** Every component at once, so each one inside another is a $ref to it, not a copy. */
function componentSchemas(): Record<string, object> {
  const { schemas } = zodToJsonSchema(z.object({}), {
    target: 'openApi3',
    definitions: generatedComponents,
    basePath: ['#', 'components'],
    definitionPath: 'schemas',
    $refStrategy: 'root',
    // Requests are documented as sent (before defaults and trimming); responses are not parsed.
    effectStrategy: 'input',
    pipeStrategy: 'input',
    // Only bodies that refuse unknown keys say so; a response may gain fields.
    removeAdditionalStrategy: 'strict',
  }) as { schemas: Record<string, object> };
  return schemas;
}

/** openapi.yaml as given, with every generated component written anew and formatted as the repo does. */
export function renderOpenapi(current: string): string {
  const doc = parseDocument(current);
  for (const [name, schema] of Object.entries(componentSchemas())) {
    doc.setIn(['components', 'schemas', name], doc.createNode(schema));
  }
  // No folding: long lines are prettier's to keep as they are.
  return prettier.format(doc.toString({ lineWidth: 0 }), {
    ...prettier.resolveConfig.sync(openapiFile),
    filepath: openapiFile,
  });
}

if (require.main === module) {
  const before = readFileSync(openapiFile, 'utf8');
  const after = renderOpenapi(before);
  writeFileSync(openapiFile, after);
  process.stdout.write(
    before === after
      ? 'openapi.yaml was up to date\n'
      : 'openapi.yaml written\n',
  );
}
