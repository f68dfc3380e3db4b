## 长文字：哪里只显示开头，哪里有全文
notice-resolved-ask = 问题解决了吗？
card-description-cut = （这里只显示开头，全文请点“📜 记录”查看）
card-full-description = 📝 工单 #{ $number } 的完整描述：
history-description = 📝 问题描述：
report-summary-description = 描述：
report-summary-cut = （这里只显示开头，楼长会收到完整内容）

## 分页的列表
report-which-building-page = 是哪一栋楼的问题？（第 { $page }/{ $pages } 页）
help-roles-page = 第 { $page }/{ $pages } 页（共 { $count } 个身份），可用下方 ‹ › 翻页。
