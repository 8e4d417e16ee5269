/** RBAC against reality, slice 4: see test/rbac-record.ts and test/unattended-rbac-compare.test.ts. */
import { recordSlice } from './rbac-record.js';

recordSlice(3);
