ò

v2.16.1"serveÝ

node_0Placeholder

node_1Const

node_2MatMul

node_3BiasAdd

node_4Relu
!
node_5StatefulPartitionedCall

node_6SaveV2

node_7	RestoreV2

node_8MergeV2Checkpoints

node_9
StringJoin

node_10ShardedFilename_
]

__inference_serve_42
f_0Const
f_1ReadFile
f_2	WriteFile
f_3EagerPyFunc"í