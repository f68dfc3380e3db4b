card-status-taken-resident = 状态：正在处理中
