/**
 * CloudFormation metadata key on each `AWS::Lambda::Function` holding its
 * repo-relative handler module (for example `lambdas/workflow/submit.ts`); the
 * local stack maps the functions of the template to modules through it.
 */
export const HANDLER_METADATA_KEY = 'framebridge:handler';
