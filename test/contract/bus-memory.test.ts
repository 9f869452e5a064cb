import { MemoryBus } from '../../src/bus/memory.js';
import { busContract } from './bus.contract.js';

busContract('bus contract: memory', () => new MemoryBus());
