## 社区自定义表决规则（《民法典》第二百七十八条两种预设之外）

vote-rule-custom = 规则：“{ $name }”（本社区自定义）：专有部分面积占比 { $turnout } 且人数占比 { $turnout } 的业主参与表决；经参与表决专有部分面积 { $approve } 且参与表决人数 { $approve } 的业主同意。
vote-btn-custom = 📐 { $name }
vote-rule-name-invalid = 请给规则起一个简短的名称（不超过 { $max } 个字），例如“绿化工程”。
vote-rule-share-invalid = “{ $share }”不是可用的比例。请写成 2/3、3/4、1/2 或 51% 这样的形式：大于 0，且不超过全部。
vote-rule-name-taken = 本社区已有名为“{ $name }”的规则（可能已停用）。请换一个名称。
vote-rule-retired = 规则“{ $name }”已停用，请选择其他规则。
vote-rule-unavailable = 该规则不属于本社区。请使用下方按钮选择。
vote-rules-title = { $community }的表决规则
vote-rules-how = 除两种预设规则（重大事项与一般事项，《民法典》第二百七十八条）外，社区可以设定自己的规则。规则一经写入不再修改：每次表决保留其发起时的门槛。不再需要的规则可以停用，此后发起新表决时不再提供。
vote-rules-none = 本社区尚无自定义规则；表决使用两种预设规则。
vote-rules-read-only = 只有本社区的协调员和管理员可以添加或停用规则。
vote-rule-retired-tag = 已停用
vote-rule-used = { $count ->
    [0] 尚未使用
   *[other] 已用于 { $count } 次表决
}
vote-rule-retire = 停用
vote-rule-add = 添加规则
vote-rule-field-name = 名称（用您自己的话）
vote-rule-field-turnout = 参与比例：参与表决的面积和业主人数占比
vote-rule-field-turnout-strict = 须超过此比例（而非“以上”）
vote-rule-field-approve = 同意比例：占参与表决面积和人数的比例
vote-rule-field-approve-strict = 须超过此比例（而非“以上”）
vote-rule-added = 规则“{ $name }”已添加。楼长发起表决时可以选择。
vote-rule-retired-done = 规则“{ $name }”已停用。用它发起的表决保留原有门槛。
