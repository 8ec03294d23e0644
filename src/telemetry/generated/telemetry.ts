import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { BatchEnd as _rxtrain_telemetry_v1_BatchEnd, BatchEnd__Output as _rxtrain_telemetry_v1_BatchEnd__Output } from './rxtrain/telemetry/v1/BatchEnd';
import type { CheckpointSaved as _rxtrain_telemetry_v1_CheckpointSaved, CheckpointSaved__Output as _rxtrain_telemetry_v1_CheckpointSaved__Output } from './rxtrain/telemetry/v1/CheckpointSaved';
import type { EarlyStop as _rxtrain_telemetry_v1_EarlyStop, EarlyStop__Output as _rxtrain_telemetry_v1_EarlyStop__Output } from './rxtrain/telemetry/v1/EarlyStop';
import type { EpochBegin as _rxtrain_telemetry_v1_EpochBegin, EpochBegin__Output as _rxtrain_telemetry_v1_EpochBegin__Output } from './rxtrain/telemetry/v1/EpochBegin';
import type { EpochEnd as _rxtrain_telemetry_v1_EpochEnd, EpochEnd__Output as _rxtrain_telemetry_v1_EpochEnd__Output } from './rxtrain/telemetry/v1/EpochEnd';
import type { EpochSummary as _rxtrain_telemetry_v1_EpochSummary, EpochSummary__Output as _rxtrain_telemetry_v1_EpochSummary__Output } from './rxtrain/telemetry/v1/EpochSummary';
import type { Event as _rxtrain_telemetry_v1_Event, Event__Output as _rxtrain_telemetry_v1_Event__Output } from './rxtrain/telemetry/v1/Event';
import type { GetRunRequest as _rxtrain_telemetry_v1_GetRunRequest, GetRunRequest__Output as _rxtrain_telemetry_v1_GetRunRequest__Output } from './rxtrain/telemetry/v1/GetRunRequest';
import type { InitialisedFrom as _rxtrain_telemetry_v1_InitialisedFrom, InitialisedFrom__Output as _rxtrain_telemetry_v1_InitialisedFrom__Output } from './rxtrain/telemetry/v1/InitialisedFrom';
import type { LrChanged as _rxtrain_telemetry_v1_LrChanged, LrChanged__Output as _rxtrain_telemetry_v1_LrChanged__Output } from './rxtrain/telemetry/v1/LrChanged';
import type { Metrics as _rxtrain_telemetry_v1_Metrics, Metrics__Output as _rxtrain_telemetry_v1_Metrics__Output } from './rxtrain/telemetry/v1/Metrics';
import type { Run as _rxtrain_telemetry_v1_Run, Run__Output as _rxtrain_telemetry_v1_Run__Output } from './rxtrain/telemetry/v1/Run';
import type { SampleSkipped as _rxtrain_telemetry_v1_SampleSkipped, SampleSkipped__Output as _rxtrain_telemetry_v1_SampleSkipped__Output } from './rxtrain/telemetry/v1/SampleSkipped';
import type { SubscribeRequest as _rxtrain_telemetry_v1_SubscribeRequest, SubscribeRequest__Output as _rxtrain_telemetry_v1_SubscribeRequest__Output } from './rxtrain/telemetry/v1/SubscribeRequest';
import type { TelemetryClient as _rxtrain_telemetry_v1_TelemetryClient, TelemetryDefinition as _rxtrain_telemetry_v1_TelemetryDefinition } from './rxtrain/telemetry/v1/Telemetry';
import type { TrainBegin as _rxtrain_telemetry_v1_TrainBegin, TrainBegin__Output as _rxtrain_telemetry_v1_TrainBegin__Output } from './rxtrain/telemetry/v1/TrainBegin';
import type { TrainEnd as _rxtrain_telemetry_v1_TrainEnd, TrainEnd__Output as _rxtrain_telemetry_v1_TrainEnd__Output } from './rxtrain/telemetry/v1/TrainEnd';
import type { TrainError as _rxtrain_telemetry_v1_TrainError, TrainError__Output as _rxtrain_telemetry_v1_TrainError__Output } from './rxtrain/telemetry/v1/TrainError';
import type { ValidationProgress as _rxtrain_telemetry_v1_ValidationProgress, ValidationProgress__Output as _rxtrain_telemetry_v1_ValidationProgress__Output } from './rxtrain/telemetry/v1/ValidationProgress';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  rxtrain: {
    telemetry: {
      v1: {
        BatchEnd: MessageTypeDefinition<_rxtrain_telemetry_v1_BatchEnd, _rxtrain_telemetry_v1_BatchEnd__Output>
        CheckpointSaved: MessageTypeDefinition<_rxtrain_telemetry_v1_CheckpointSaved, _rxtrain_telemetry_v1_CheckpointSaved__Output>
        EarlyStop: MessageTypeDefinition<_rxtrain_telemetry_v1_EarlyStop, _rxtrain_telemetry_v1_EarlyStop__Output>
        EpochBegin: MessageTypeDefinition<_rxtrain_telemetry_v1_EpochBegin, _rxtrain_telemetry_v1_EpochBegin__Output>
        EpochEnd: MessageTypeDefinition<_rxtrain_telemetry_v1_EpochEnd, _rxtrain_telemetry_v1_EpochEnd__Output>
        EpochSummary: MessageTypeDefinition<_rxtrain_telemetry_v1_EpochSummary, _rxtrain_telemetry_v1_EpochSummary__Output>
        Event: MessageTypeDefinition<_rxtrain_telemetry_v1_Event, _rxtrain_telemetry_v1_Event__Output>
        EventKind: EnumTypeDefinition
        GetRunRequest: MessageTypeDefinition<_rxtrain_telemetry_v1_GetRunRequest, _rxtrain_telemetry_v1_GetRunRequest__Output>
        InitialisedFrom: MessageTypeDefinition<_rxtrain_telemetry_v1_InitialisedFrom, _rxtrain_telemetry_v1_InitialisedFrom__Output>
        LrChanged: MessageTypeDefinition<_rxtrain_telemetry_v1_LrChanged, _rxtrain_telemetry_v1_LrChanged__Output>
        Metrics: MessageTypeDefinition<_rxtrain_telemetry_v1_Metrics, _rxtrain_telemetry_v1_Metrics__Output>
        Run: MessageTypeDefinition<_rxtrain_telemetry_v1_Run, _rxtrain_telemetry_v1_Run__Output>
        RunStatus: EnumTypeDefinition
        SampleSkipped: MessageTypeDefinition<_rxtrain_telemetry_v1_SampleSkipped, _rxtrain_telemetry_v1_SampleSkipped__Output>
        SubscribeRequest: MessageTypeDefinition<_rxtrain_telemetry_v1_SubscribeRequest, _rxtrain_telemetry_v1_SubscribeRequest__Output>
        /**
         * Live telemetry of one training run.
         */
        Telemetry: SubtypeConstructor<typeof grpc.Client, _rxtrain_telemetry_v1_TelemetryClient> & { service: _rxtrain_telemetry_v1_TelemetryDefinition }
        TrainBegin: MessageTypeDefinition<_rxtrain_telemetry_v1_TrainBegin, _rxtrain_telemetry_v1_TrainBegin__Output>
        TrainEnd: MessageTypeDefinition<_rxtrain_telemetry_v1_TrainEnd, _rxtrain_telemetry_v1_TrainEnd__Output>
        TrainEndReason: EnumTypeDefinition
        TrainError: MessageTypeDefinition<_rxtrain_telemetry_v1_TrainError, _rxtrain_telemetry_v1_TrainError__Output>
        ValidationProgress: MessageTypeDefinition<_rxtrain_telemetry_v1_ValidationProgress, _rxtrain_telemetry_v1_ValidationProgress__Output>
      }
    }
  }
}

