// Cost budgets: their status in the current period (domain/budget-policy.ts). Configured by SPILLWAY_BUDGETS.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/common';
import { BudgetList } from '../schemas/budget-schemas';

export const budgetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/budgets',
    {
      schema: {
        tags: ['budgets'],
        operationId: 'listBudgets',
        summary: "Each budget's spend, committed spend, forecast and level in its current day or month",
        response: { 200: BudgetList, ...errorResponses(429, 503) },
      },
    },
    async () => app.budgets.list(),
  );
};
